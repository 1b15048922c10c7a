"""The report page: report.py's index.html and its markdown twin (report_page.py), with rotatable 3D views of the
evaluated chairs drawn offline by plotly (view3d.py)."""
