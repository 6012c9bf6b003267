using System.Diagnostics;

namespace Ravioli.Core.Faults;

/// <summary>
/// Named places in the platform's code where the fault suite kills the process, to prove that a crash at
/// that exact step loses no committed state. Armed only by the environment variable
/// <c>RAVIOLI_FAULT_KILL_AT</c> (<c>point</c>, or <c>point#N</c> for the N-th time the point is reached, counted per
/// process); unset, <see cref="Reach"/> is one comparison against null. The kill is SIGKILL of the own
/// process: no finally blocks, no flushing, no graceful shutdown — what a power cut or the OOM killer does.
/// </summary>
public static class FaultPoints
{
    /// <summary>The environment variable that arms a point.</summary>
    public const string Variable = "RAVIOLI_FAULT_KILL_AT";

    private static readonly (string Point, int Hit)? Armed = Parse(Environment.GetEnvironmentVariable(Variable));
    private static int _hits;

    /// <summary>Kills the process here if this point is armed (and this is the armed hit).</summary>
    public static void Reach(string point)
    {
        if (Armed is not { } armed || !string.Equals(armed.Point, point, StringComparison.Ordinal))
        {
            return;
        }
        if (Interlocked.Increment(ref _hits) != armed.Hit)
        {
            return;
        }
        // One line on stderr so a test's log says where the process died; then SIGKILL, which nothing can delay.
        Console.Error.WriteLine($"ravioli: fault injected: killed at {point}");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    internal static (string Point, int Hit)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var hash = value.IndexOf('#', StringComparison.Ordinal);
        if (hash < 0)
        {
            return (value.Trim(), 1);
        }
        return int.TryParse(value[(hash + 1)..], out var hit) && hit > 0 ? (value[..hash].Trim(), hit) : null;
    }
}
