"""Knowledge-base topics of a branch: CRUD per the Agents API spec, plus CSV import and export."""
