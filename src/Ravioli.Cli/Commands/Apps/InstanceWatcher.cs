using System.Globalization;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>How waiting for a process's instances ended.</summary>
internal abstract record StartOutcome
{
    private StartOutcome()
    {
    }

    /// <summary>Every desired instance is running.</summary>
    public sealed record Running : StartOutcome;

    /// <summary>An instance crashed while starting; <c>Details</c> is the platform's reason.</summary>
    public sealed record Crashed(int Index, string? Details) : StartOutcome;

    /// <summary>The start timeout passed with instances still not running.</summary>
    public sealed record TimedOut(string LastState) : StartOutcome;

    /// <summary>The instances could not be observed (no stats); nothing is known either way.</summary>
    public sealed record Unknown(string Reason) : StartOutcome;
}

/// <summary>
/// Polls a process's instance stats until every desired instance runs, one crashes, or time runs out,
/// reporting each change of the overall picture ("0 of 2 instances running, 2 starting") once.
/// The clock and the pause are passed in so the decision logic is tested without waiting.
/// </summary>
internal sealed class InstanceWatcher(
    Func<CancellationToken, Task<(IReadOnlyList<InstanceStats>? Stats, string? Problem)>> readStats,
    Func<TimeSpan, CancellationToken, Task> delay,
    Func<DateTimeOffset> now)
{
    // A stats read is cheap (the API asks the node, which answers from memory); a push waits on it last, so every
    // poll interval shaved is time to first request saved.
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Marks the RUNNING instances that ran before a restart <paramref name="sinceRestart"/> ago as
    /// <see cref="ProcessStats.Replacing"/>: their uptime is longer than the restart is old. Until the node has the
    /// new generation, the stats still show the old one RUNNING, and counting it would end the wait at once.
    /// A second of slack covers the API's whole-second uptime; an old instance started less than a second before
    /// the restart is taken for a new one.
    /// </summary>
    public static IReadOnlyList<InstanceStats> MarkReplaced(IReadOnlyList<InstanceStats> stats, TimeSpan sinceRestart) =>
        [.. stats.Select(s => ProcessStats.IsState(s, ProcessStats.Running) && s.Uptime is { } uptime && uptime > sinceRestart.TotalSeconds + 1
            ? s with { State = ProcessStats.Replacing }
            : s)];

    public async Task<StartOutcome> WaitAsync(int desired, TimeSpan timeout, Action<string> report, CancellationToken cancellationToken)
    {
        var deadline = now() + timeout;
        string? last = null;
        while (true)
        {
            var (stats, problem) = await readStats(cancellationToken);
            if (stats is null)
            {
                return new StartOutcome.Unknown(problem ?? "the API did not say");
            }

            var picture = Describe(stats, desired);
            if (picture != last)
            {
                report(picture);
                last = picture;
            }

            if (stats.FirstOrDefault(s => ProcessStats.IsState(s, ProcessStats.Crashed)) is { } crashed)
            {
                return new StartOutcome.Crashed(crashed.Index, crashed.Details);
            }

            var running = ProcessStats.CountRunning(stats);
            var starting = stats.Count(s => ProcessStats.IsState(s, ProcessStats.Starting));
            if (running >= desired && starting == 0)
            {
                return new StartOutcome.Running();
            }

            if (now() >= deadline)
            {
                return new StartOutcome.TimedOut(picture);
            }

            await delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>"1 of 2 instances running, 1 starting" (cf's wording), counting every state present.</summary>
    public static string Describe(IReadOnlyList<InstanceStats> stats, int desired)
    {
        var running = ProcessStats.CountRunning(stats);
        var text = $"{running.ToString(CultureInfo.InvariantCulture)} of {desired.ToString(CultureInfo.InvariantCulture)} instances running";
        var others = stats
            .Where(s => !ProcessStats.IsState(s, ProcessStats.Running))
            .GroupBy(s => (s.State ?? "unknown").ToLowerInvariant())
            .OrderBy(g => Rank(g.Key))
            .Select(g => $"{g.Count().ToString(CultureInfo.InvariantCulture)} {g.Key}");
        return string.Join(", ", others.Prepend(text));
    }

    private static int Rank(string state) => state switch
    {
        "starting" => 0,
        "replacing" => 1,
        "crashed" => 2,
        "down" => 3,
        _ => 4,
    };
}
