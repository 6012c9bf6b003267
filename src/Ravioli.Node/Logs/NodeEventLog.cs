using System.Text.Json;
using Microsoft.Extensions.Options;
using Ravioli.Node.Desired;

namespace Ravioli.Node.Logs;

/// <summary>An instance event as the control plane reads it: numbered, so a reader resumes where it stopped.</summary>
public sealed record NodeEvent(
    long Seq, string Type, string InstanceGuid, string AppGuid, string ProcessType, int Index, DateTimeOffset Timestamp,
    int? ExitCode, string? Reason, int CrashCount);

/// <summary>
/// Instance events (crashes above all) kept on disk as JSON lines with increasing sequence numbers, so the
/// control plane can turn each into an audit event exactly once, even across restarts of either side.
/// </summary>
public sealed class NodeEventLog
{
    private const int Kept = 10_000;
    private readonly string _file;
    private readonly Lock _gate = new();
    private readonly LinkedList<NodeEvent> _recent = new();
    private long _seq;

    public NodeEventLog(IOptions<NodeOptions> options)
    {
        _file = Path.Combine(options.Value.StateDirectory, "events.jsonl");
        if (File.Exists(_file))
        {
            foreach (var line in File.ReadLines(_file))
            {
                try
                {
                    if (JsonSerializer.Deserialize<NodeEvent>(line, DesiredStateSource.Json) is { } e)
                    {
                        Remember(e);
                        _seq = Math.Max(_seq, e.Seq);
                    }
                }
                catch (JsonException)
                {
                    // A line cut short by a crash mid-write: the events before it stand.
                }
            }
        }
    }

    public NodeEvent Append(string type, string instanceGuid, string appGuid, string processType, int index, DateTimeOffset timestamp, int? exitCode, string? reason, int crashCount)
    {
        lock (_gate)
        {
            var e = new NodeEvent(++_seq, type, instanceGuid, appGuid, processType, index, timestamp, exitCode, reason, crashCount);
            File.AppendAllText(_file, JsonSerializer.Serialize(e, DesiredStateSource.Json) + "\n");
            Remember(e);
            if (_recent.Count == Kept && new FileInfo(_file).Length > 8 * 1024 * 1024)
            {
                // Keep the file bounded: rewrite it with what is still remembered, then swap atomically.
                var temp = _file + ".tmp";
                File.WriteAllLines(temp, _recent.Select(r => JsonSerializer.Serialize(r, DesiredStateSource.Json)));
                File.Move(temp, _file, overwrite: true);
            }
            return e;
        }
    }

    public long LastSeq
    {
        get
        {
            lock (_gate)
            {
                return _seq;
            }
        }
    }

    public IReadOnlyList<NodeEvent> Since(long after, int max)
    {
        lock (_gate)
        {
            return [.. _recent.Where(e => e.Seq > after).Take(max)];
        }
    }

    private void Remember(NodeEvent e)
    {
        _recent.AddLast(e);
        if (_recent.Count > Kept)
        {
            _recent.RemoveFirst();
        }
    }
}
