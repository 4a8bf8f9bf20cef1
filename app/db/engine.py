"""Engine and session factory, and the request-scoped session dependency (one request = one transaction)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker


def build_engine(url: URL, pool_size: int = 20) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Never echo bound values (patient fields, key digests) into logs or exception messages.
        hide_parameters=True,
        connect_args={"application_name": "dyadstudy"},
    )


def build_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def get_session(request: Request) -> Iterator[Session]:
    """Open one session per request; commit when the endpoint returns, roll back when it raises.

    Services only ``flush()``. Declared with ``scope="function"`` below so the commit happens before the
    response is sent: a failing commit becomes an error response, never a silently lost write.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session, scope="function")]
