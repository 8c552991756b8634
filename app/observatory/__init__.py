"""The territory observatory (issue 17): where needs go unserved, what the network achieved, figures
a funder can file. `figures` and `coverage` compute; `facts` reads the database; views render."""
