using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Users;

/// <summary><c>rav delete-user</c>: removes a user, their roles and (at once) their sessions.</summary>
internal sealed class DeleteUserCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User to delete" };
    private readonly Option<bool> _force = ForceOption();

    public DeleteUserCommand(CliSession session)
        : base(session, "delete-user", "Delete a user and their roles (admin only)")
    {
        Command.Arguments.Add(_username);
        Command.Options.Add(_force);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var username = parseResult.GetRequiredValue(_username);
        if (!Ui.Confirm($"Really delete the user {username} and all their roles?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting user {username} as {Session.UserName}...");
        var user = await Session.Resolve.FindUserAsync(username, cancellationToken);
        if (user is null)
        {
            // Deleting what is already gone succeeds, as in cf, so scripts can be re-run.
            Ui.Warn($"User {username} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/users/{user.Guid}", cancellationToken);
        Ui.Ok();
        Ui.Result(user.Raw);
    }
}
