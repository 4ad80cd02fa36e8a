"""Local accounts of the web app: user name, argon2id password hash, role (patient | clinician).

A *patient* account is tied to one diary patient (``patient_id``) and may read only that diary; a
*clinician* account has a ``clinician_id`` and may read the diaries whose patient record names it
(:meth:`ldnsim.diary.DiaryStore.patients`). Accounts live in their own small SQLite/SQLAlchemy database,
next to the diary (not in it: the diary's schema is migrated by its own owner).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from ..errors import InputError

__all__ = ["Account", "AccountStore", "ROLES", "MIN_PASSWORD"]

ROLES = ("patient", "clinician")
MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
#: a hash verified when the user does not exist, so a wrong name costs the same time as a wrong password
_DUMMY = _hasher.hash("not-a-real-password-ldnsim")


class _Base(DeclarativeBase):
    pass


class _User(_Base):
    __tablename__ = "web_users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str | None] = mapped_column(String(64))
    clinician_id: Mapped[str | None] = mapped_column(String(128))


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    patient_id: str | None = None
    clinician_id: str | None = None

    def session(self) -> dict:
        return {
            "name": self.username,
            "role": self.role,
            "patient_id": self.patient_id,
            "clinician_id": self.clinician_id,
        }


class AccountStore:
    """Accounts in a SQLAlchemy database (``url``: SQLAlchemy URL; ``sqlite://`` keeps them in memory)."""

    def __init__(self, url: str = "sqlite://") -> None:
        kw: dict = {}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kw = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        self.engine = create_engine(url, **kw)
        _Base.metadata.create_all(self.engine)

    def add(
        self,
        username: str,
        password: str,
        role: str,
        *,
        patient_id: str | None = None,
        clinician_id: str | None = None,
    ) -> Account:
        """Create an account; InputError naming the field on a bad name, short password or unknown role."""
        if not _NAME.match(username or ""):
            raise InputError("username", "2-64 letters, digits or _ . @ -", value=username)
        if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 1024:
            raise InputError("password", "too short or too long", accepted=f"{MIN_PASSWORD}-1024 characters")
        if role not in ROLES:
            raise InputError("role", "unknown role", accepted=", ".join(ROLES), value=role)
        if role == "patient" and not patient_id:
            raise InputError("patient_id", "a patient account needs the diary patient id")
        if role == "clinician" and not clinician_id:
            raise InputError("clinician_id", "a clinician account needs a clinician id")
        with Session(self.engine) as s, s.begin():
            if s.get(_User, username) is not None:
                raise InputError("username", "already exists", value=username)
            s.add(
                _User(
                    username=username,
                    password_hash=_hasher.hash(password),
                    role=role,
                    patient_id=patient_id if role == "patient" else None,
                    clinician_id=clinician_id if role == "clinician" else None,
                )
            )
        return Account(
            username,
            role,
            patient_id if role == "patient" else None,
            clinician_id if role == "clinician" else None,
        )

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password matches, else None (same work for unknown names)."""
        with Session(self.engine) as s:
            u = s.get(_User, str(username)[:64])
            if u is None:
                try:
                    _hasher.verify(_DUMMY, str(password))
                except VerificationError:
                    pass
                return None
            try:
                _hasher.verify(u.password_hash, str(password)[:1024])
            except (VerificationError, InvalidHashError):
                return None
            if _hasher.check_needs_rehash(u.password_hash):
                with s.begin():
                    u.password_hash = _hasher.hash(password)
            return Account(u.username, u.role, u.patient_id, u.clinician_id)

    def usernames(self) -> list[str]:
        with Session(self.engine) as s:
            return list(s.scalars(select(_User.username).order_by(_User.username)))
