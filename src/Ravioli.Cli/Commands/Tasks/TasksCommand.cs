using System.CommandLine;
using System.Globalization;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Tasks;

/// <summary><c>rav tasks</c>: an app's tasks, newest first.</summary>
internal sealed class TasksCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose tasks to list" };

    public TasksCommand(CliSession session)
        : base(session, "tasks", "List an app's tasks")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Getting tasks for app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var tasks = await Api.ListAsync($"/v3/apps/{app.Guid}/tasks?order_by=-created_at", cancellationToken);
        if (tasks.Resources.Count == 0)
        {
            Ui.Say($"No tasks found. Run one with 'rav run-task {app.Name} COMMAND'.");
        }
        else
        {
            Ui.Table(
                ["id", "name", "state", "start time", "command"],
                tasks.Resources.Select(Json.Resource<TaskResource>)
                    .OrderByDescending(t => t.SequenceId ?? 0)
                    .Select(t => (IReadOnlyList<string>)
                    [
                        t.SequenceId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                        t.Name ?? string.Empty,
                        (t.State ?? "unknown").ToUpperInvariant(),
                        AppDetails.Timestamp(t.CreatedAt),

                        // The API leaves the command out for those who may not see it (it can hold secrets).
                        t.Command ?? "[hidden]",
                    ]));
        }

        Ui.Result(Json.Array(tasks.Resources));
    }
}
