namespace PeerManagement.Redis;

/// <summary>
/// The token bucket of <see cref="RedisPartitionedRateLimiter{TKey}"/> as one Lua script: one round trip and one
/// atomic step per decision, with the same arithmetic as the local limiter. Contents are kept in units: one token
/// is <c>wu</c> units, and each time unit (<c>div</c> microseconds of Redis <c>TIME</c>) adds <c>max</c> units, so
/// continuous refill and the retry-after are exact integers (the settings keep a full bucket below 2^53, where Lua's
/// numbers are exact). The state is one string ("units last window-start window-count"), read with one GET and written
/// with one SET that expires (PX) when the bucket would be full again and the soft-limit window over, so an idle
/// caller costs nothing and a missing key means exactly a full bucket.
/// </summary>
internal static class RedisTokenBucketScript
{
    /// <summary>Answer codes (first element of the reply); the second is the retry-after in microseconds.</summary>
    public const long Rejected = 0;

    public const long Granted = 1;

    public const long Delayed = 2;

    // KEYS[1] bucket. ARGV: max, wu (units per token), div (µs per unit), delay_after, soft (1/0), permits,
    // now_us (or -1: Redis TIME).
    public const string Text = """
        local max = tonumber(ARGV[1])
        local wu = tonumber(ARGV[2])
        local div = tonumber(ARGV[3])
        local delay_after = tonumber(ARGV[4])
        local soft = tonumber(ARGV[5])
        local permits = tonumber(ARGV[6])
        local now_us = tonumber(ARGV[7])
        if now_us < 0 then
          local t = redis.call('TIME')
          now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
        end
        local now = math.floor(now_us / div)
        local cap = max * wu
        local u, l, ws, wc
        local s = redis.call('GET', KEYS[1])
        if s then
          local a, b, c, d = string.match(s, '^(%d+) (%d+) (%d+) (%d+)$')
          u = tonumber(a)
          l = tonumber(b)
          ws = tonumber(c)
          wc = tonumber(d)
        end
        if u == nil then
          u = cap
          l = now
          ws = 0
          wc = 0
        end
        if u < cap and now > l then
          local elapsed = now - l
          if elapsed < wu and u + elapsed * max < cap then
            u = u + elapsed * max
            l = now
          else
            l = l + math.ceil((cap - u) / max)
            u = cap
          end
        end
        if permits == 0 then
          if u >= wu then return {1, 0} end
          return {0, 0}
        end
        local needed = permits * wu
        if u < needed then
          local units = math.ceil((needed - u) / max) - (now - l)
          if units < 0 then units = 0 end
          return {0, units * div}
        end
        if u >= cap and now > l then l = now end
        u = u - needed
        local code = 1
        if soft == 1 then
          if wc == 0 or now - ws >= wu then
            ws = now
            wc = 0
          end
          wc = wc + permits
          if wc > delay_after then code = 2 end
        end
        local idle = math.ceil((cap - u) / max)
        if soft == 1 and ws + wu - now > idle then idle = ws + wu - now end
        redis.call('SET', KEYS[1], string.format('%d %d %d %d', u, l, ws, wc), 'PX', math.ceil(idle * div / 1000) + 1)
        return {code, 0}
        """;
}
