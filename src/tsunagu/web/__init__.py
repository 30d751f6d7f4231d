"""The portal: server-rendered pages for residents, developers and municipal staff."""
