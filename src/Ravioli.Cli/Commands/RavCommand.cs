using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Commands;

/// <summary>
/// What every <c>rav</c> command shares: a <c>--json</c> switch, the loaded config, and one place that
/// turns failures into a message on stderr and exit code 1, never a stack trace.
/// </summary>
internal abstract class RavCommand
{
    private readonly Option<bool> _json = new("--json") { Description = "Print only the JSON result (lists: an array of every resource on every page)" };

    protected RavCommand(CliSession session, string name, string description)
    {
        Session = session;
        Command = new Command(name, description);
        Command.Options.Add(_json);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    protected CliSession Session { get; }

    protected Ui Ui => Session.Ui;

    protected ApiClient Api => Session.Api;

    protected abstract Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken);

    /// <summary>Adds a <c>-f</c> switch for commands that delete.</summary>
    protected static Option<bool> ForceOption() => new("--force", "-f") { Description = "Do not ask for confirmation (required when input is not a terminal)" };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Ui.JsonMode = parseResult.GetValue(_json);
        try
        {
            await Session.LoadAsync(cancellationToken);
            await ExecuteAsync(parseResult, cancellationToken);
            return 0;
        }
        catch (CliException e)
        {
            Ui.Fail(e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Ui.Fail("Cancelled.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Ui.Fail($"Cannot read or write the config in {Session.Env.Home}: {e.Message}. Check its permissions, or point RAV_HOME at another directory.");
        }
        catch (Exception e)
        {
            // A bug in rav itself: say so briefly rather than dumping a stack trace on the user.
            Ui.Fail($"rav failed unexpectedly: {e.GetType().Name}: {e.Message}");
        }

        return 1;
    }
}
