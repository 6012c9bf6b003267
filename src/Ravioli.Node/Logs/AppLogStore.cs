using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Ravioli.Node.Logs;

/// <summary>One log line as `rav logs` shows it; source types are Cloud Foundry's (APP/PROC/WEB, RTR, CELL).</summary>
public sealed record LogLine(DateTimeOffset Timestamp, string SourceType, string Instance, string Stream, string Message);

/// <summary>
/// Recent log lines per app in memory (like CF's log cache) plus live followers. Bounded: a slow follower
/// loses its oldest unread lines rather than slowing the apps or the router down.
/// </summary>
public sealed class AppLogStore(IOptions<NodeOptions> options)
{
    private readonly ConcurrentDictionary<string, AppLog> _apps = new(StringComparer.Ordinal);

    private sealed class AppLog
    {
        public readonly Queue<LogLine> Recent = new();
        public readonly List<Channel<LogLine>> Followers = [];
    }

    public void Append(string appGuid, LogLine line)
    {
        var log = _apps.GetOrAdd(appGuid, _ => new AppLog());
        lock (log)
        {
            log.Recent.Enqueue(line);
            while (log.Recent.Count > options.Value.LogLinesPerApp)
            {
                log.Recent.Dequeue();
            }
            foreach (var follower in log.Followers)
            {
                follower.Writer.TryWrite(line);
            }
        }
    }

    public IReadOnlyList<LogLine> Recent(string appGuid, int lines)
    {
        if (!_apps.TryGetValue(appGuid, out var log))
        {
            return [];
        }
        lock (log)
        {
            return [.. log.Recent.Skip(Math.Max(0, log.Recent.Count - lines))];
        }
    }

    /// <summary>The recent lines, then every new one until <paramref name="ct"/> ends it.</summary>
    public async IAsyncEnumerable<LogLine> FollowAsync(string appGuid, int lines, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var log = _apps.GetOrAdd(appGuid, _ => new AppLog());
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        IReadOnlyList<LogLine> recent;
        lock (log)
        {
            recent = [.. log.Recent.Skip(Math.Max(0, log.Recent.Count - lines))];
            log.Followers.Add(channel);
        }
        try
        {
            foreach (var line in recent)
            {
                yield return line;
            }
            await foreach (var line in channel.Reader.ReadAllAsync(ct))
            {
                yield return line;
            }
        }
        finally
        {
            lock (log)
            {
                log.Followers.Remove(channel);
            }
        }
    }
}
