"""Running user functions in isolated worker processes.

The server side is ``pool.Sandbox``. The worker side (``worker``, ``child``, ``policy``,
``restricted``, ``conv``, ``values``, ``protocol``) uses the standard library only, and this
package's ``__init__`` stays empty so that starting a worker imports nothing else.
"""
