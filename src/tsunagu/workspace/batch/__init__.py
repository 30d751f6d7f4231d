"""Many files at once: files, zips and a metadata sheet become draft datasets in one step.

staging.py and zips.py take the files in (checked, zips judged before unpacking), sheet.py reads
the metadata sheet, guess.py and columns.py say what the files are, rows.py and plan.py make the
preview, apply.py makes the drafts in one transaction, worker.py runs that as a job, status.py
shows it all; service.py ties them together for the actions in actions.py.
"""
