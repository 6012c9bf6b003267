using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Ravioli.Api.Auth;

/// <summary>
/// Slows password guessing per username: after MaxFailedLogins failures within the window, logins for
/// that user are refused for a lockout that doubles with each further failure. In memory, per control plane.
/// </summary>
public sealed class LoginThrottle(IOptions<RavioliApiOptions> options, TimeProvider time)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many usernames the throttle remembers (bounded: see MaxEntries).</summary>
    public int TrackedUsernames => _entries.Count;

    private sealed record Entry(int Failures, DateTimeOffset WindowStart, DateTimeOffset LockedUntil);

    /// <summary>How long the caller must wait, or null if a login may be attempted now.</summary>
    public TimeSpan? RetryAfter(string usernameKey)
    {
        if (_entries.TryGetValue(usernameKey, out var entry) && entry.LockedUntil > time.GetUtcNow())
        {
            return entry.LockedUntil - time.GetUtcNow();
        }
        return null;
    }

    public void Failed(string usernameKey)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        // Guessing through random usernames must not grow this without bound: drop entries whose window and lockout are over.
        if (_entries.Count > MaxEntries)
        {
            foreach (var (key, stale) in _entries)
            {
                if (now - stale.WindowStart > o.FailedLoginWindow && stale.LockedUntil < now)
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }
        _entries.AddOrUpdate(usernameKey,
            _ => Lock(new Entry(1, now, DateTimeOffset.MinValue)),
            (_, e) => Lock(now - e.WindowStart > o.FailedLoginWindow && e.LockedUntil < now
                ? new Entry(1, now, DateTimeOffset.MinValue)
                : e with { Failures = e.Failures + 1 }));

        Entry Lock(Entry e)
        {
            if (e.Failures < o.MaxFailedLogins)
            {
                return e;
            }
            var doublings = Math.Min(e.Failures - o.MaxFailedLogins, 20);
            var lockout = TimeSpan.FromTicks(Math.Min(o.LockoutMax.Ticks, o.LockoutBase.Ticks * (1L << doublings)));
            return e with { LockedUntil = now + lockout };
        }
    }

    public void Succeeded(string usernameKey) => _entries.TryRemove(usernameKey, out _);
}
