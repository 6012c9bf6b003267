namespace Ravioli.Runtime.Local.Supervision;

/// <summary>
/// Cloud Foundry's crash policy (and tye's): the first crashes restart at once, because most crashes are one-off;
/// after that the delay doubles from <see cref="LocalExecutorOptions.InitialRestartDelay"/> up to
/// <see cref="LocalExecutorOptions.MaxRestartDelay"/>, so a crash-looping app costs the node little.
/// </summary>
internal static class RestartBackoff
{
    /// <param name="crashCount">Crashes so far, including the one just observed (1-based).</param>
    public static TimeSpan DelayAfter(int crashCount, LocalExecutorOptions options)
    {
        if (crashCount <= options.ImmediateRestarts)
        {
            return TimeSpan.Zero;
        }

        // Capped exponent: 2^30 times any sane initial delay is far past any sane maximum, and cannot overflow.
        var exponent = Math.Min(crashCount - options.ImmediateRestarts - 1, 30);
        var delay = options.InitialRestartDelay.TotalMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(delay, options.MaxRestartDelay.TotalMilliseconds));
    }
}
