"""Writes examples/linden-hotel/agent.json, the demo agent (run after editing this file).

Kept as Python so that function code stays readable; the JSON is what parley imports.
"""

from __future__ import annotations

import json
from pathlib import Path

TOPICS = [
    ("Check-in time", "Check-in starts at 3pm. If you arrive earlier we are happy to store your luggage.",
     "", ["what time is check in", "when can I check in", "early check in"]),
    ("Check-out time", "Check-out is by 11am. Late check-out until 1pm can be arranged at reception for a small fee.",
     "", ["what time is check out", "when do I need to leave", "late check out"]),
    ("Breakfast", "Breakfast is served {{attr:breakfast_hours}} in the Garden Restaurant.",
     "", ["what time is breakfast", "is breakfast included", "where is breakfast served"]),
    ("Parking", "We have an underground car park. Parking costs 25 pounds per night and spaces cannot be reserved.",
     "", ["is there parking", "how much is parking", "can I park my car"]),
    ("Wi-Fi", "Free high-speed Wi-Fi is available throughout the hotel. Connect to LindenGuest; no password is needed.",
     "", ["is there wifi", "what is the wifi password", "internet access"]),
    ("Swimming pool", "The indoor pool is open from 7am to 10pm every day. Towels are provided poolside.",
     "", ["when is the pool open", "do you have a swimming pool", "pool hours"]),
    ("Gym", "The gym on the lower ground floor is open 24 hours. Use your room key to enter.",
     "", ["is there a gym", "gym opening hours", "fitness centre"]),
    ("Spa treatments", "The spa offers massages and facials from 10am to 8pm. Treatments should be booked a day ahead.",
     "", ["do you have a spa", "book a massage", "spa treatments"]),
    ("Pets", "Dogs are welcome in selected rooms for 20 pounds per night. Please tell us when you book.",
     "", ["can I bring my dog", "are pets allowed", "pet policy"]),
    ("Restaurant hours", "The Garden Restaurant serves lunch from 12pm to 2:30pm and dinner from 6pm to 10pm.",
     "", ["when is the restaurant open", "dinner times", "lunch hours"]),
    ("Room service", "Room service is available 24 hours. Dial 1 from your room phone to order.",
     "", ["is there room service", "order food to my room", "room service menu"]),
    ("Laundry", "Same-day laundry and dry cleaning are available if handed in before 9am.",
     "", ["do you do laundry", "dry cleaning", "wash my clothes"]),
    ("Airport transfer", "We can arrange a car to or from Heathrow for 85 pounds each way. Please give us 24 hours' notice.",
     "", ["airport transfer", "taxi to the airport", "pick me up from heathrow"]),
    ("Luggage storage", "Reception stores luggage free of charge before check-in and after check-out.",
     "", ["can you keep my bags", "luggage storage", "leave my suitcase"]),
    ("Accessibility", "We have step-free access throughout and four fully accessible rooms with roll-in showers.",
     "", ["wheelchair access", "accessible rooms", "disabled access"]),
    ("Cancellation policy", "Bookings can be cancelled free of charge up to 48 hours before arrival.",
     "", ["cancellation policy", "can I cancel my booking", "refund"]),
    ("Smoking", "The hotel is entirely non-smoking. A smoking area is available in the courtyard.",
     "", ["can I smoke", "smoking policy", "smoking area"]),
    ("Children", "Children are very welcome. Cots and extra beds are free for under-12s.",
     "", ["do you allow children", "family rooms", "do you have cots"]),
    ("Meeting rooms", "We have three meeting rooms for up to 40 people, with screens and video conferencing.",
     "", ["meeting rooms", "conference facilities", "host an event"]),
    ("Minibar", "Every room has a minibar. Soft drinks are complimentary; other items are charged at checkout.",
     "", ["is there a minibar", "free drinks in the room", "minibar prices"]),
    ("Directions", "I'll text you our address and directions now.",
     "{{fn:send_directions}}", ["where are you", "what is your address", "how do I get to the hotel"]),
    ("Complaints", "I'm sorry to hear that. Let me put you through to the duty manager.",
     "{{ho:duty_manager}}", ["I want to make a complaint", "I am not happy", "speak to a manager"]),
    ("Speak to reception", "Of course, I'll connect you to reception now.",
     "{{ho:reception}}", ["speak to a person", "talk to reception", "human please"]),
    ("Table booking", "I can book you a table in the Garden Restaurant.",
     "{{fn:start_table_booking}}", ["book a table", "restaurant reservation", "reserve a table for dinner"]),
    ("Wake-up call", "I can arrange a wake-up call for you.",
     "{{fn:start_wake_up_call}}", ["wake up call", "wake me up tomorrow", "alarm call"]),
]

START_FUNCTION = '''def start_function(conv):
    """Chooses the site from the caller's integration attributes and remembers it."""
    site = str(conv.integration_attributes.get("site", "")).lower()
    if site == "edinburgh":
        conv.set_variant("Edinburgh")
    conv.state.site = conv.variant.site_name
'''

END_FUNCTION = '''def end_function(conv):
    """Records how the conversation went."""
    conv.write_metric("BOOKED_TABLE", bool(conv.state.booking_ref))
'''

FUNCTIONS = [
    {
        "name": "start_table_booking",
        "description": "Start booking a table in the restaurant.",
        "code": '''def start_table_booking(conv):
    """Hands the conversation to the table booking flow."""
    if not conv.real_time_config.get("restaurant_open", True):
        return {"utterance": "I'm sorry, the restaurant is closed for bookings today."}
    conv.goto_flow("Table booking")
''',
    },
    {
        "name": "start_wake_up_call",
        "description": "Start arranging a wake-up call.",
        "code": '''def start_wake_up_call(conv):
    conv.goto_flow("Wake-up call")
''',
    },
    {
        "name": "send_directions",
        "description": "Text the caller the hotel's address.",
        "code": '''def send_directions(conv):
    conv.state.site = conv.variant.site_name
    conv.state.address = conv.variant.address
    conv.send_sms_template(conv.caller_number or "+447911123456", "directions")
''',
    },
]

TABLE_BOOKING = {
    "name": "Table booking",
    "description": "Books a table in the Garden Restaurant.",
    "startStep": "Ask party size",
    "steps": [
        {"name": "Ask party size", "stepType": "default", "prompt": "How many people is the table for?",
         "extractedEntities": ["party_size"],
         "conditions": [{"name": "size known", "conditionType": "step", "description": "The party size is known",
                         "childStep": "Ask date", "requiredEntities": ["party_size"]}]},
        {"name": "Ask date", "stepType": "default", "prompt": "What date would you like to come?",
         "extractedEntities": ["booking_date"],
         "conditions": [{"name": "date known", "conditionType": "step", "description": "The date is known",
                         "childStep": "Ask time", "requiredEntities": ["booking_date"]}]},
        {"name": "Ask time", "stepType": "default", "prompt": "And at what time?",
         "extractedEntities": ["booking_time"],
         "conditions": [{"name": "time known", "conditionType": "step", "description": "The time is known",
                         "childStep": "Check availability", "requiredEntities": ["booking_time"]}]},
        {"name": "Check availability", "stepType": "function", "code": '''def check_availability(conv, flow):
    """Checks the party against today's limit and holds the table."""
    size = conv.entities.party_size.value
    limit = conv.real_time_config.get("max_party_size", 8)
    if size > limit:
        conv.say(f"I'm sorry, we can only book tables for up to {limit} people. Please call reception.")
        conv.exit_flow()
        return
    conv.state.party_size = size
    conv.state.booking_date = conv.entities.booking_date.value
    conv.state.booking_time = conv.entities.booking_time.value
    flow.goto_step("Confirm booking")
'''},
        {"name": "Confirm booking", "stepType": "default",
         "prompt": "That's a table for {{vrbl:party_size}} on {{vrbl:booking_date}} at {{vrbl:booking_time}}. Shall I book it?",
         "extractedEntities": ["confirmation"],
         "conditions": [{"name": "confirmed", "conditionType": "step", "description": "The caller said yes or no",
                         "childStep": "Finish booking", "requiredEntities": ["confirmation"]}]},
        {"name": "Finish booking", "stepType": "function", "code": '''def finish_booking(conv, flow):
    if conv.entities.confirmation.value != "yes":
        conv.say("No problem, I haven't booked anything. Is there anything else I can help with?")
        conv.exit_flow()
        return
    reference = "LH" + str(conv.state.party_size) + conv.state.booking_date.replace("-", "")[-4:]
    conv.state.booking_ref = reference
    conv.send_sms_template(conv.caller_number or "+447911123456", "booking_confirmation")
    conv.say(f"Your table is booked. Your reference is {reference}, and I've sent you a text with the details.")
    conv.exit_flow()
'''},
    ],
    "functions": [],
}

WAKE_UP_CALL = {
    "name": "Wake-up call",
    "description": "Arranges a wake-up call.",
    "startStep": "Ask wake time",
    "steps": [
        {"name": "Ask wake time", "stepType": "default", "prompt": "What time would you like your wake-up call?",
         "extractedEntities": ["wake_time"],
         "conditions": [{"name": "time known", "conditionType": "step", "description": "The wake time is known",
                         "childStep": "Ask room number", "requiredEntities": ["wake_time"]}]},
        {"name": "Ask room number", "stepType": "default", "prompt": "What is your room number?",
         "extractedEntities": ["room_number"],
         "conditions": [{"name": "room known", "conditionType": "step", "description": "The room is known",
                         "childStep": "Schedule call", "requiredEntities": ["room_number"]}]},
        {"name": "Schedule call", "stepType": "function", "code": '''def schedule_call(conv, flow):
    conv.state.wake_time = conv.entities.wake_time.value
    conv.state.room_number = conv.entities.room_number.value
    conv.write_metric("WAKE_UP_CALL")
    conv.say(f"Done: room {conv.state.room_number} will get a call at {conv.state.wake_time}.")
    conv.exit_flow()
'''},
    ],
    "functions": [],
}

# Scripted test cases: they need no model provider, so `parley test run --agent linden-hotel`
# passes on a fresh server. Each checks the replies and the functions the conversation called.
TEST_CASES = [
    {"name": "Breakfast in London", "scenario": "A guest asks when breakfast is served.", "tags": ["faq"],
     "userTurns": ["What time is breakfast?"],
     "responseAssertions": [{"turn": 1, "type": "contains", "value": "from 6:30am to 10:30am"}]},
    {"name": "Breakfast in Edinburgh", "scenario": "A guest of the Edinburgh hotel asks about breakfast.",
     "tags": ["faq", "variants"], "integrationAttributes": {"site": "Edinburgh"},
     "userTurns": ["when is breakfast served"],
     "responseAssertions": [{"turn": 0, "type": "contains", "value": "Edinburgh"},
                            {"turn": 1, "type": "contains", "value": "from 7am to 11am"},
                            {"type": "not_contains", "value": "London"}],
     "functionCallAssertions": [{"name": "start_function"}]},
    {"name": "Table booking", "scenario": "A guest books a table for four on 14 March 2027 at 7:30pm.",
     "tags": ["flows"], "userTurns": ["I'd like to book a table for dinner", "four of us", "2027-03-14", "7:30pm please",
                                      "yes please"],
     "responseAssertions": [{"turn": 4, "type": "contains", "value": "table for 4 on 2027-03-14 at 19:30"},
                            {"turn": 5, "type": "regex", "value": "reference is LH\\d+"}],
     "functionCallAssertions": [{"name": "start_table_booking"}, {"name": "check_availability"},
                                {"name": "finish_booking"}]},
    {"name": "Directions by text", "scenario": "A guest asks for the hotel's address.", "tags": ["sms"],
     "userTurns": ["what is your address"],
     "responseAssertions": [{"turn": 1, "type": "contains", "value": "text you our address"}],
     "functionCallAssertions": [{"name": "send_directions"}]},
    {"name": "Wake-up call", "scenario": "A guest in room 214 asks for a wake-up call at 6:45am.", "tags": ["flows"],
     "userTurns": ["can I get a wake up call", "6:45am", "room 214"],
     "responseAssertions": [{"turn": 3, "type": "contains", "value": "room 214 will get a call at 06:45"}],
     "functionCallAssertions": [{"name": "schedule_call"}]},
    {"name": "Complaint goes to the duty manager", "scenario": "An unhappy guest wants to complain.",
     "tags": ["handoffs"], "userTurns": ["I want to make a complaint about the noise"],
     "responseAssertions": [{"turn": 1, "type": "contains", "value": "duty manager"}]},
]

DOCUMENT = {
    "formatVersion": 1,
    "behavior": (
        "You are the virtual receptionist of the Linden Hotel. Be warm, brief and precise. "
        "Only answer from the hotel's knowledge; when unsure, offer to connect the guest to reception."
    ),
    "attributes": ["site_name", "address", "breakfast_hours"],
    "variants": [
        {"name": "London", "isDefault": True, "attributes": {
            "site_name": "London", "address": "1 Linden Square, London W1", "breakfast_hours": "from 6:30am to 10:30am"}},
        {"name": "Edinburgh", "isDefault": False, "attributes": {
            "site_name": "Edinburgh", "address": "12 Royal Mile, Edinburgh EH1", "breakfast_hours": "from 7am to 11am"}},
    ],
    "entities": [
        {"name": "party_size", "description": "How many people", "type": "number", "config": {"min": 1, "max": 20}},
        {"name": "booking_date", "description": "The day of the booking", "type": "date", "config": {}},
        {"name": "booking_time", "description": "The time of the booking", "type": "time", "config": {}},
        {"name": "confirmation", "description": "Yes or no", "type": "yes_no", "config": {}},
        {"name": "wake_time", "description": "When to call", "type": "time", "config": {}},
        {"name": "room_number", "description": "The guest's room", "type": "number", "config": {"min": 1, "max": 999}},
    ],
    "handoffs": [
        {"name": "reception", "description": "Front desk", "method": "refer", "destination": "+442079460000",
         "reason": "caller asked for reception", "isDefault": True},
        {"name": "duty_manager", "description": "Duty manager for complaints", "method": "refer",
         "destination": "+442079460001", "reason": "complaint"},
    ],
    "smsTemplates": [
        {"name": "directions", "text": "The Linden Hotel {{vrbl:site}}: {{vrbl:address}}. See you soon!",
         "envPhoneNumbers": {"sandbox": "+442079460100", "pre-release": "+442079460101", "live": "+442079460102"}},
        {"name": "booking_confirmation",
         "text": "Table for {{vrbl:party_size}} on {{vrbl:booking_date}} at {{vrbl:booking_time}}. Ref {{vrbl:booking_ref}}.",
         "envPhoneNumbers": {"sandbox": "+442079460100", "pre-release": "+442079460101", "live": "+442079460102"}},
    ],
    "functions": FUNCTIONS,
    "startFunction": START_FUNCTION,
    "endFunction": END_FUNCTION,
    "flows": [TABLE_BOOKING, WAKE_UP_CALL],
    "topics": [
        {"name": name, "content": content, "actions": actions, "exampleQueries": {"queries": queries}, "isActive": True}
        for name, content, actions, queries in TOPICS
    ],
    "testCases": TEST_CASES,
}

AGENT = {
    "agentId": "linden-hotel",
    "name": "Linden Hotel",
    "responseSettings": {
        "greeting": "Welcome to the Linden Hotel {{attr:site_name}}! How can I help you today?",
        "languageCode": "en-GB",
    },
}

REAL_TIME_CONFIG = {
    "schema": {
        "type": "object",
        "properties": {
            "restaurant_open": {"type": "boolean"},
            "max_party_size": {"type": "integer", "minimum": 1, "maximum": 20},
        },
        "additionalProperties": False,
    },
    "variables": {"restaurant_open": True, "max_party_size": 8},
}


def main() -> None:
    folder = Path(__file__).resolve().parent / "linden-hotel"
    folder.mkdir(exist_ok=True)
    (folder / "agent.json").write_text(json.dumps(DOCUMENT, indent=2, ensure_ascii=False) + "\n")
    (folder / "project.json").write_text(
        json.dumps({"agent": AGENT, "realTimeConfig": REAL_TIME_CONFIG}, indent=2, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()
