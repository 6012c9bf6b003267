using System.CommandLine;
using System.Net;
using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Session;

/// <summary><c>rav login</c>: gets tokens with a password grant, then targets an org and space like cf does.</summary>
internal sealed class LoginCommand : RavCommand
{
    private readonly Option<string?> _api = new("--api", "-a") { Description = $"API URL (default: the configured one, else {CliSession.DefaultApiUrl})" };
    private readonly Option<string?> _username = new("--username", "-u") { Description = "Username (asked for when omitted at a terminal)" };
    private readonly Option<string?> _password = new("--password", "-p") { Description = "Password (else $RAV_PASSWORD, else asked for at a terminal)" };
    private readonly Option<string?> _org = new("--org", "-o") { Description = "Org to target" };
    private readonly Option<string?> _space = new("--space", "-s") { Description = "Space to target" };

    public LoginCommand(CliSession session)
        : base(session, "login", "Log in to a Ravioli platform")
    {
        Command.Options.Add(_api);
        Command.Options.Add(_username);
        Command.Options.Add(_password);
        Command.Options.Add(_org);
        Command.Options.Add(_space);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var apiUrl = ApiUrls.Normalize(parseResult.GetValue(_api) ?? Session.Config.ApiUrl ?? CliSession.DefaultApiUrl);
        Ui.Say($"API endpoint: {apiUrl}");
        Ui.Blank();

        var username = parseResult.GetValue(_username)
            ?? Ui.Prompt("Username", secret: false)
            ?? throw new CliException("No username given. Run 'rav login -u USER -p PASSWORD' (or set RAV_PASSWORD instead of -p).");
        var password = parseResult.GetValue(_password)
            ?? Session.Env.GetVariable("RAV_PASSWORD")
            ?? Ui.Prompt("Password", secret: true)
            ?? throw new CliException("No password given. Pass -p PASSWORD or set RAV_PASSWORD, or run 'rav login' at a terminal to be asked.");

        Ui.Say("Authenticating...");
        TokenResponse tokens;
        try
        {
            tokens = await Api.PasswordGrantAsync(apiUrl, username, password, cancellationToken);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
        {
            var reason = (e.Problem?.Detail ?? "the username or password is wrong").TrimEnd('.');
            throw new CliException($"Login failed: {reason}. Check the username and password and run 'rav login' again.", e);
        }

        var previous = Session.Config;
        await Session.SaveAsync(
            new CliConfig
            {
                ApiUrl = apiUrl,
                AccessToken = tokens.AccessToken,
                RefreshToken = tokens.RefreshToken,
                Username = Jwt.UserName(tokens.AccessToken) ?? username,
            },
            cancellationToken);
        await RevokeQuietlyAsync(previous, cancellationToken);
        Ui.Ok();
        Ui.Blank();
        Ui.Say($"Authenticated as {Session.UserName}.");
        Ui.Blank();

        await TargetAsync(parseResult.GetValue(_org), parseResult.GetValue(_space), cancellationToken);
        Targeting.Print(Session);
        Ui.Result(Targeting.ToJson(Session.Config));
    }

    private async Task TargetAsync(string? orgName, string? spaceName, CancellationToken cancellationToken)
    {
        if (orgName is not null)
        {
            await Targeting.TargetOrgAsync(Session, orgName, spaceName, cancellationToken);
            return;
        }

        // Like cf: someone with exactly one org (and one space in it) has nothing to choose.
        var orgs = await Api.ListAsync("/v3/organizations", cancellationToken);
        if (orgs.Resources.Count == 1)
        {
            await Targeting.TargetOrgAsync(Session, Json.As<OrganizationResource>(orgs.Resources[0]), spaceName, cancellationToken);
        }
        else if (spaceName is not null)
        {
            throw new CliException($"You can use {orgs.Resources.Count} orgs, so say which one holds space '{spaceName}': run 'rav target -o ORG -s {spaceName}'.");
        }
    }

    // A re-login would otherwise leave the previous refresh token valid for 30 days in nobody's hands.
    private async Task RevokeQuietlyAsync(CliConfig previous, CancellationToken cancellationToken)
    {
        if (previous is { ApiUrl: { } apiUrl, RefreshToken: { } refreshToken })
        {
            try
            {
                await Api.RevokeAsync(apiUrl, refreshToken, cancellationToken);
            }
            catch (CliException)
            {
                // Best effort: the new session works either way, and the old token still expires on its own.
            }
        }
    }
}
