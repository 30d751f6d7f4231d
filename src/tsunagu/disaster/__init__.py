"""災害モード (disaster mode): on the day everyone comes at once, the site leads first to a
lightweight 避難場所 page that is served from memory.

The mode is switched on by a sysadmin (`disaster_mode_update`, with a message such as
「台風第10号に伴い避難所を開設しています」) or by load: a process answering more requests a second
than `settings.disaster_auto_rps` switches it on for every process, and it goes off by itself
after a calm period. While it is on, the home page and the map redirect to ``/hinan`` (a link
there leads on to the full site, which stays available) and every portal page shows a banner.

``/hinan`` lists the shelters of the 指定緊急避難場所 map layer (maps/, public data only) by
municipality, with address, hazard types and 開設状況 when a file has that column: plain HTML
under 50 KB without JavaScript, split into a page per municipality when the whole list would
be larger. The pages are rendered ahead of requests, whenever the layer's ETag, the mode or
the site title changes, and served with their gzip bytes by an ASGI middleware in front of the
session and database work, so answering one touches no database.

Modules: `state.py` (the switch in `system_info`, each process's copy), `load.py` (requests a
second and the automatic switch), `shelters.py` (layer → shelters by municipality),
`pages.py` (shelters → HTML pages within the size budget), `cache.py` (the rendered pages of
this process), `middleware.py` (serving, redirects), `worker.py` (the per-process thread that
keeps all of it current), `views.py` (the same pages rendered per request, when the cache is
off), `actions.py` (disaster_mode_show, disaster_mode_update).
"""
