using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Users;

/// <summary><c>rav create-user</c>: an admin creates a user; an existing user is not an error, as in cf.</summary>
internal sealed class CreateUserCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "Username (letters, digits and . _ - @ +)" };
    private readonly Argument<string> _password = new("PASSWORD") { Description = "Password, 8 characters or more" };
    private readonly Option<bool> _admin = new("--admin") { Description = "Make the user a platform admin" };

    public CreateUserCommand(CliSession session)
        : base(session, "create-user", "Create a user (admin only)")
    {
        Command.Arguments.Add(_username);
        Command.Arguments.Add(_password);
        Command.Options.Add(_admin);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var username = parseResult.GetRequiredValue(_username);
        var admin = parseResult.GetValue(_admin);
        Ui.Say($"Creating user {username} as {Session.UserName}...");
        try
        {
            var user = await Api.PostAsync(
                "/v3/users",
                new JsonObject
                {
                    ["username"] = username,
                    ["password"] = parseResult.GetRequiredValue(_password),
                    ["admin"] = admin,
                },
                cancellationToken);
            Ui.Ok();
            Ui.Blank();
            Ui.Say($"TIP: Assign roles with 'rav set-org-role {username} ORG ROLE' and 'rav set-space-role {username} ORG SPACE ROLE'.");
            Ui.Result(user);
        }
        catch (ApiException e) when (e.IsUnprocessable)
        {
            // A duplicate is a 422 like any other validation error; only the lookup tells them apart.
            var existing = await Session.Resolve.FindUserAsync(username, cancellationToken);
            if (existing is null)
            {
                throw;
            }

            Ui.Warn($"User {existing.Username} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
        }
    }
}
