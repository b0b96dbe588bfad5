"""Private set intersection with a partner (``privacy.psi``): see :mod:`privacy._psi`.

>>> import privacy
>>> result = privacy.psi.match(["ana@example.com", "bo@example.com"], ["ANA@example.com"],
...                            kind="email", platform="meta", mode="cardinality")
>>> result.intersection
1
"""

from ._psi import LEAKS, MODES, PSI_FORMAT, Message, PsiResult, Receiver, Sender, match

__all__ = ["LEAKS", "MODES", "PSI_FORMAT", "Message", "PsiResult", "Receiver", "Sender", "match"]
