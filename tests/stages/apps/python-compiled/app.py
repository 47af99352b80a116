import markupsafe
from markupsafe import _speedups

print("escaped", markupsafe.escape("<b>"), "compiled", _speedups.__file__.endswith(".so"))
