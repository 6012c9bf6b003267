using System.Text;

namespace Ravioli.Cli;

/// <summary>Everything the CLI touches outside itself: the console in production, captured writers in tests.</summary>
public sealed class CliEnvironment
{
    /// <summary>Where results go (tables, JSON, "OK").</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Where errors and warnings go.</summary>
    public required TextWriter Err { get; init; }

    /// <summary>The configuration directory: <c>$RAV_HOME</c> or <c>~/.rav</c>.</summary>
    public required string Home { get; init; }

    /// <summary>The HTTP handler to send requests through; null uses a default socket handler.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Where confirmations and prompts are read from.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>True when a person sits at the keyboard, so the CLI may ask questions instead of failing.</summary>
    public bool IsInteractive { get; init; }

    /// <summary>True when stderr is a terminal, so progress can be redrawn in place (uploads); scripts get only the summary.</summary>
    public bool IsErrorTerminal { get; init; }

    /// <summary>Where relative paths start (<c>rav push</c> looks for its manifest and app here).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Reads an environment variable (such as <c>RAV_PASSWORD</c>).</summary>
    public Func<string, string?> GetVariable { get; init; } = static _ => null;

    /// <summary>Reads a secret without echoing it; null falls back to reading a line from <see cref="In"/>.</summary>
    public Func<string?>? ReadSecret { get; init; }

    /// <summary>The environment of the running process: console streams, real environment variables.</summary>
    public static CliEnvironment FromProcess()
    {
        var interactive = !Console.IsInputRedirected;
        return new CliEnvironment
        {
            Out = Console.Out,
            Err = Console.Error,
            In = Console.In,
            Home = DefaultHome(Environment.GetEnvironmentVariable),
            IsInteractive = interactive,
            IsErrorTerminal = !Console.IsErrorRedirected,
            GetVariable = Environment.GetEnvironmentVariable,
            ReadSecret = interactive ? ReadSecretFromConsole : null,
        };
    }

    /// <summary>The configuration directory for the given environment: <c>$RAV_HOME</c>, else <c>~/.rav</c>.</summary>
    public static string DefaultHome(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var home = getVariable("RAV_HOME");
        if (!string.IsNullOrWhiteSpace(home))
        {
            return home;
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".rav");
    }

    private static string? ReadSecretFromConsole()
    {
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Out.WriteLine();
                return secret.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }
    }
}
