"""What the codes in a partner's 997 / 999 / TA1 mean, so an ops person reads a sentence, not a number."""

from __future__ import annotations

ACK_STATUS = {
    "A": "accepted",
    "E": "accepted, errors noted",
    "M": "rejected, message authentication code failed",
    "P": "partially accepted",
    "R": "rejected",
    "W": "rejected, failed assurance tests",
    "X": "rejected, content could not be analysed",
}

SEGMENT_CODES = {  # AK304 / IK304
    "1": "unrecognised segment id",
    "2": "unexpected segment",
    "3": "mandatory segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}

ELEMENT_CODES = {  # AK403 / IK403
    "1": "mandatory data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
}

SET_CODES = {  # AK502 / IK502
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "ST02 and SE02 control numbers differ",
    "4": "SE01 segment count is wrong",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "18": "transaction set not in functional group",
    "19": "invalid implementation convention reference",
    "23": "transaction set control number not unique within the group",
    "I5": "implementation: one or more segments in error",
    "I6": "implementation convention not supported",
}

GROUP_CODES = {  # AK905
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "GS06 and GE02 control numbers differ",
    "5": "GE01 transaction set count is wrong",
    "6": "group control number violates syntax",
}

TA1_NOTES = {  # TA105
    "000": "no error",
    "001": "ISA13 and IEA02 control numbers differ",
    "002": "control standard not supported",
    "003": "control version not supported",
    "004": "invalid segment terminator",
    "005": "invalid sender id qualifier",
    "006": "invalid sender id",
    "007": "invalid receiver id qualifier",
    "008": "invalid receiver id",
    "009": "unknown receiver id",
    "010": "invalid authorization information qualifier",
    "011": "invalid authorization information",
    "012": "invalid security information qualifier",
    "013": "invalid security information",
    "014": "invalid interchange date",
    "015": "invalid interchange time",
    "016": "invalid interchange standards identifier",
    "017": "invalid interchange version id",
    "018": "invalid interchange control number",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator",
    "021": "IEA01 group count is wrong",
    "022": "invalid control structure",
    "023": "premature end of file",
    "024": "invalid interchange content",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
}


def describe(table: dict[str, str], code: str) -> str:
    """'<meaning> (<code>)', or the bare code when the table does not know it."""
    meaning = table.get(code)
    return f"{meaning} ({code})" if meaning else f"code {code}"
