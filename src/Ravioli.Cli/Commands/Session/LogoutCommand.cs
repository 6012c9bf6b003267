using System.CommandLine;

namespace Ravioli.Cli.Commands.Session;

/// <summary><c>rav logout</c>: revokes the refresh token on the server and forgets both tokens.</summary>
internal sealed class LogoutCommand : RavCommand
{
    public LogoutCommand(CliSession session)
        : base(session, "logout", "Log out: revoke the session on the server and forget the tokens")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var config = Session.Config;
        Ui.Say($"Logging out {Session.UserName}...");
        if (config is { ApiUrl: { } apiUrl, RefreshToken: { } refreshToken })
        {
            try
            {
                await Api.RevokeAsync(apiUrl, refreshToken, cancellationToken);
            }
            catch (CliException e)
            {
                // The tokens are still forgotten below; the user wanted to be logged out on this machine.
                Ui.Warn($"Could not revoke the session on the server ({e.Message.Split('\n')[0]}). It expires on its own within 30 days.");
            }
        }

        await Session.SaveAsync(config.LoggedOut(), cancellationToken);
        Ui.Ok();
        Ui.Result(Targeting.ToJson(Session.Config));
    }
}
