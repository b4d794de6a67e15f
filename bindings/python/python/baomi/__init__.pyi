import os
from typing import List, Optional, Tuple, Union

__version__: str

class RulesError(ValueError):
    """Rule files that cannot be read or do not compile."""

class Location:
    part: str
    line: int
    column: int
    page: Optional[int]
    paragraph: Optional[int]
    cell: Optional[str]
    author: Optional[str]
    detail: Optional[str]

class Finding:
    rule: str
    title: str
    category: str
    severity: str
    basis: str
    matched: str
    confidence: str
    location: Location
    context: str
    span: Tuple[int, int]

class Report:
    @property
    def verdict(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def doc_number(self) -> Optional[str]: ...
    @property
    def error(self) -> Optional[str]: ...
    @property
    def complete(self) -> bool: ...
    @property
    def parts(self) -> List[str]: ...
    @property
    def notes(self) -> List[str]: ...
    @property
    def findings(self) -> List[Finding]: ...
    def to_json(self) -> str: ...

class Scanner:
    def __init__(
        self, rules: Optional[Union[str, os.PathLike[str]]] = None, *, toml: Optional[str] = None
    ) -> None: ...
    def scan(self, text: str, name: str = "text") -> Report: ...
    def review_file(self, path: Union[str, os.PathLike[str]]) -> Report: ...
    @property
    def fingerprint(self) -> str: ...

def review_file(path: Union[str, os.PathLike[str]]) -> Report: ...
