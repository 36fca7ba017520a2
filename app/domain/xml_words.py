"""Why an XML file could not be read, in plain words (for every importer that reads XML a user brings:
Ed-Fi interchanges, MARCXML)."""

from __future__ import annotations

from xml.parsers import expat

_E = expat.errors
# What expat's reasons mean, in the words of someone who opened the file in an editor (expat's own wording, e.g.
# "not well-formed (invalid token)", goes to the log). Each completes "The XML is broken at line L, column C: ...".
_REASONS = {
    _E.XML_ERROR_TAG_MISMATCH: "an element is closed with another name than it was opened with "
                               "(for example <Name> ... </Names>)",
    _E.XML_ERROR_INVALID_TOKEN: "a character XML does not allow there (a stray < or &, which must be written &lt; "
                                "and &amp;, or a control character)",
    _E.XML_ERROR_NO_ELEMENTS: "the file ends before its elements are closed (it is empty or was cut short)",
    _E.XML_ERROR_UNCLOSED_TOKEN: "the file ends in the middle of a tag (it was cut short)",
    _E.XML_ERROR_SYNTAX: "what is written there is not XML",
    _E.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "there is more after the last closing tag (two files joined into one, or "
                                         "text after the end)",
    _E.XML_ERROR_DUPLICATE_ATTRIBUTE: "an element has the same attribute twice",
    _E.XML_ERROR_UNDEFINED_ENTITY: "an &name; that XML does not know (an & on its own must be written &amp;)",
    _E.XML_ERROR_BAD_CHAR_REF: "a character reference (&#...;) to a character XML does not allow",
    _E.XML_ERROR_UNBOUND_PREFIX: "a name prefix (the part before the colon) that no xmlns: attribute declares",
    _E.XML_ERROR_INCORRECT_ENCODING: "the bytes are not in the encoding the file declares (save it as UTF-8)",
    _E.XML_ERROR_UNKNOWN_ENCODING: "the file declares an encoding that is not known (save it as UTF-8)",
    _E.XML_ERROR_PARTIAL_CHAR: "the file ends in the middle of a character (it was cut short)",
    _E.XML_ERROR_MISPLACED_XML_PI: "the <?xml ...?> declaration is not at the very start of the file",
    _E.XML_ERROR_XML_DECL: "the <?xml ...?> declaration at the start is not written correctly",
    _E.XML_ERROR_UNCLOSED_CDATA_SECTION: "a <![CDATA[ section is never closed",
    _E.XML_ERROR_RECURSIVE_ENTITY_REF: "an entity defined in terms of itself",
    _E.XML_ERROR_AMPLIFICATION_LIMIT_BREACH: "its entities expand to far more text than the file holds "
                                             "(no export writes that; check where the file came from)",
}


def plain_reason(code: int) -> str:
    """The reason for expat's error `code` (ExpatError.code, ElementTree's ParseError.code) in plain words."""
    return _REASONS.get(_E.messages.get(code, ""), "the XML is not written correctly there")


