namespace Ravioli.Cli.Commands.Env;

/// <summary>What cf says after an env change: running instances keep the environment they started with.</summary>
internal static class EnvTip
{
    public static string For(string app)
        => $"TIP: Use 'rav restage {app}' or 'rav restart {app}' to ensure your env variable changes take effect.";
}
