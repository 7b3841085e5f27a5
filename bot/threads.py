"""Conversations in Discord threads: the turns of each thread the bot opened, kept in SQLite, one update at a time.

How a follow-up is read (with the questions before it, no quote shown twice) is index/conversation.py, shared with
the terminal chat; this module keeps a thread's turns across messages, buttons and restarts, and runs one update of
a thread at a time, from the question to the reply sent, so two follow-ups at once cannot show the same quote.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.service import Answers
from bot.state import BotState
from index.conversation import Conversation, context_for
from index.models import Answer, Quote


@dataclass
class Turn:
    """An answer in a thread: which turn it belongs to and the earlier questions it was read with (none: alone)."""

    answer: Answer
    turn: int
    read_with: list[str]
    first: int = 1  # the number of its first quote: a "more" numbers on from the turn's earlier pages


Send = Callable[[Turn], Awaitable[Sequence[Quote]]]  # sends the reply, returns the quotes it showed


class Threads:
    def __init__(self, answers: Answers, state: BotState) -> None:
        self.answers = answers
        self.state = state
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, thread_id: int) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock

    async def ask(self, thread_id: int, guild_id: int | None, question: str, k: int, send: Send) -> None:
        """A question in a thread (the first one opens the conversation), answered and sent by `send`."""
        async with self._lock(thread_id):
            conv = await asyncio.to_thread(self.state.conversation, thread_id) or Conversation()
            earlier = conv.questions()
            answer = await asyncio.to_thread(self.answers.converse, conv, question, k)
            i = len(conv.turns) - 1
            read_with = context_for(earlier) if conv.turns[i].in_context else []
            await self._send_and_keep(conv, thread_id, guild_id, Turn(answer, i, read_with), send)

    async def more(self, thread_id: int, guild_id: int | None, turn: int | None, k: int, send: Send) -> bool:
        """The next quotes of a turn (the latest by default), none shown before in the thread; False when the
        thread has no such turn (it was not opened for a conversation, or its state is gone)."""
        async with self._lock(thread_id):
            conv = await asyncio.to_thread(self.state.conversation, thread_id)
            if conv is None or not conv.turns:
                return False
            i = len(conv.turns) - 1 if turn is None else turn
            answer = await asyncio.to_thread(self.answers.converse, conv, None, k, i)
            if answer is None:
                return False
            first = len(conv.turns[i].shown) + 1
            await self._send_and_keep(conv, thread_id, guild_id, Turn(answer, i, [], first), send)
            return True

    async def _send_and_keep(self, conv: Conversation, thread_id: int, guild_id: int | None, turn: Turn,
                             send: Send) -> None:
        """Send, then remember exactly what was shown (a card may fit fewer quotes than were fetched)."""
        shown: Sequence[Quote] = ()
        try:
            shown = await send(turn)
        finally:  # the question is kept even when sending failed: the thread's context does not lose it
            conv.record(shown, turn.turn)
            await asyncio.to_thread(self.state.save_conversation, thread_id, guild_id, conv)
