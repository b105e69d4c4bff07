"""Gmail's per-user quota, paced where every process acting as the account sees it.

Google counts the quota per Google account, whichever process spends it. With GOOGLE_MCP_REDIS_URL set, the
window (`quota.Window`'s moving window, same rule) lives in Redis, one per account, and a script charges it
and answers the wait in one round trip; Redis's own clock times it, so processes whose clocks disagree still
agree on the window. Without Redis, or while Redis does not answer, each process paces alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from google_mcp import quota
from google_mcp.redisconn import sync_client, tag, unavailable

if TYPE_CHECKING:
    from google_mcp.settings import Settings

log = logging.getLogger(__name__)

OWN_ACCOUNT = "me"  # a single-person server's one account (the token file's), as Gmail's userId names it
REDIS_TIMEOUT = 0.5  # a pacing look that takes longer is not worth waiting for: pace locally instead
RETRY_REDIS_AFTER = 5.0  # seconds of local pacing after Redis failed, before asking it again
LOCAL_KEPT = 1024  # accounts whose local windows are kept (the least recently charged go first)

# KEYS: charges (a sorted set: score = when in ms, member = "seq:units"), totals (a hash: held, seq)
# ARGV: cost, budget (units in a window), window (ms). Answers the wait in microseconds, charged as of then.
# Charges are kept in time order, as in quota.Window.wait_for: a later caller never slips in before one
# already waiting. TIME in a script is allowed: Redis 7 replicates a script's effects, not the script.
CHARGE = """
local charges, totals = KEYS[1], KEYS[2]
local cost, budget, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function units(member) return tonumber(string.match(member, ':(.+)$')) end
local held = tonumber(redis.call('HGET', totals, 'held') or '0')
local gone = redis.call('ZRANGEBYSCORE', charges, '-inf', now - window)
for _, member in ipairs(gone) do held = held - units(member) end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', charges, '-inf', now - window) end
if redis.call('EXISTS', charges) == 0 then held = 0 end
local at = now
local last = redis.call('ZRANGE', charges, -1, -1, 'WITHSCORES')
if last[2] then at = math.max(at, tonumber(last[2])) end
local need, left, first = math.min(cost, budget), held, 0
while left + need > budget + 1e-9 do
  local page = redis.call('ZRANGE', charges, first, first + 63, 'WITHSCORES')
  if #page == 0 then break end
  for i = 1, #page, 2 do
    if left + need <= budget + 1e-9 then break end
    left = left - units(page[i])
    at = math.max(at, tonumber(page[i + 1]) + window)
  end
  first = first + 64
end
local seq = redis.call('HINCRBY', totals, 'seq', 1)
redis.call('ZADD', charges, at, seq .. ':' .. cost)
redis.call('HSET', totals, 'held', held + cost)
local ttl = math.ceil(at - now + window) + 1000
redis.call('PEXPIRE', charges, ttl)
redis.call('PEXPIRE', totals, ttl)
return math.floor((at - now) * 1000)
"""


class Pacing:
    """One server's quota windows, one per Google account: in Redis when it is configured, else here."""

    def __init__(self, settings: Settings) -> None:
        from redis.exceptions import RedisClusterException, RedisError

        self.rate = settings.gmail_quota_units * quota.MARGIN
        self.seconds = settings.gmail_quota_window
        self._local: OrderedDict[str, quota.Window] = OrderedDict()
        self._lock = threading.Lock()
        self._url = settings.redis_url.get_secret_value() if settings.redis_url is not None and self.rate else None
        self._script: Any = None  # made on first use: a cluster's client asks its seeds for the layout at once
        self._failures: tuple[type[BaseException], ...] = (*unavailable(), RedisError, RedisClusterException)
        self._redis_back_at = 0.0  # while Redis failed: when to ask it again

    def _charge(self, key: str, cost: float) -> float:
        """Charge the window in Redis: the wait, in seconds."""
        with self._lock:
            if self._script is None:
                assert self._url is not None
                self._script = sync_client(self._url, timeout=REDIS_TIMEOUT).register_script(CHARGE)
            script = self._script
        micros = script(keys=[key, key + ":totals"], args=[cost, self.rate * self.seconds, self.seconds * 1000])
        return max(0, int(micros)) / 1_000_000

    def wait_for(self, account: str, cost: float) -> float:
        """Seconds until `cost` units fit in the account's window, charged as of then."""
        if self._url is not None and time.monotonic() >= self._redis_back_at:
            try:  # one hash tag: on a cluster, both keys in one slot
                wait = self._charge(f"google_mcp:quota:{tag(account)}", cost)
            except self._failures as exc:  # whatever Redis answers, a read is never failed for its pacing
                with self._lock:
                    first = self._redis_back_at == 0.0
                    self._redis_back_at = time.monotonic() + RETRY_REDIS_AFTER
                if first:  # once per outage, not once per request
                    log.warning("Redis does not answer (%s): pacing Gmail's quota in this process alone", exc)
            else:
                if self._redis_back_at:
                    self._redis_back_at = 0.0
                    log.warning("Redis answers again: Gmail's quota is paced across processes again")
                return wait
        with self._lock:
            window = self._local.pop(account, None) or quota.Window(self.rate, self.seconds)
            self._local[account] = window  # most recently charged last
            while len(self._local) > LOCAL_KEPT:
                self._local.popitem(last=False)
            return window.wait_for(cost)
