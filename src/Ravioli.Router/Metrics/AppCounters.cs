using System.Diagnostics;

namespace Ravioli.Router.Metrics;

/// <summary>Running totals of one app's requests. Updated with Interlocked on the request path; read by snapshots.</summary>
internal sealed class AppCounters(string appGuid, string appName)
{
    /// <summary>Upper bounds of the latency buckets in milliseconds; a last bucket holds everything slower.</summary>
    public static readonly long[] BucketBoundsMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private static readonly long[] s_boundsTicks = Array.ConvertAll(BucketBoundsMs, ms => ms * Stopwatch.Frequency / 1000);

    private readonly long[] _buckets = new long[BucketBoundsMs.Length + 1];
    private readonly long[] _byClass = new long[5];
    private long _requests;
    private long _latencyTicks;
    private string _appName = appName;

    public string AppGuid { get; } = appGuid;

    public string AppName
    {
        get => Volatile.Read(ref _appName);
        set => Volatile.Write(ref _appName, value);
    }

    /// <summary>Counts one finished request. <paramref name="latencyTicks"/> is in <see cref="Stopwatch"/> ticks; negative = not timed.</summary>
    public void Record(int status, long latencyTicks)
    {
        Interlocked.Increment(ref _requests);
        var statusClass = status / 100 - 1;
        if ((uint)statusClass < (uint)_byClass.Length)
        {
            Interlocked.Increment(ref _byClass[statusClass]);
        }
        if (latencyTicks < 0)
        {
            return;
        }
        Interlocked.Add(ref _latencyTicks, latencyTicks);
        var bucket = 0;
        while (bucket < s_boundsTicks.Length && latencyTicks > s_boundsTicks[bucket])
        {
            bucket++;
        }
        Interlocked.Increment(ref _buckets[bucket]);
    }

    public AppMetricsSnapshot Snapshot()
    {
        var buckets = new LatencyBucket[_buckets.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            var bound = i < BucketBoundsMs.Length ? BucketBoundsMs[i] : double.PositiveInfinity;
            buckets[i] = new LatencyBucket(bound, Interlocked.Read(ref _buckets[i]));
        }
        return new AppMetricsSnapshot(
            AppGuid,
            AppName,
            Interlocked.Read(ref _requests),
            Interlocked.Read(ref _byClass[0]),
            Interlocked.Read(ref _byClass[1]),
            Interlocked.Read(ref _byClass[2]),
            Interlocked.Read(ref _byClass[3]),
            Interlocked.Read(ref _byClass[4]),
            TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency),
            buckets);
    }
}
