using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Tasks;

/// <summary><c>rav run-task</c>: runs a one-off command (a migration, a report) with the app's droplet and environment.</summary>
internal sealed class RunTaskCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose droplet and environment the task uses" };
    private readonly Argument<string> _command = new("COMMAND") { Description = "Command to run, e.g. \"bin/rake db:migrate\"" };
    private readonly Option<string?> _taskName = new("--name") { Description = "Name of the task (default: chosen by the platform)" };

    public RunTaskCommand(CliSession session)
        : base(session, "run-task", "Run a one-off task with an app's droplet")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_command);
        Command.Options.Add(_taskName);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Creating task for app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var body = new JsonObject { ["command"] = parseResult.GetRequiredValue(_command) };
        if (parseResult.GetValue(_taskName) is { } taskName)
        {
            body["name"] = taskName;
        }

        var task = Json.Resource<TaskResource>(await Api.PostAsync($"/v3/apps/{app.Guid}/tasks", body, cancellationToken));
        Ui.Ok();
        Ui.Blank();
        Ui.Say("Task has been submitted successfully for execution.");
        Ui.Fields(
        [
            new("task name", task.Name ?? string.Empty),
            new("task id", task.SequenceId?.ToString(CultureInfo.InvariantCulture) ?? task.Guid),
        ]);
        Ui.Blank();
        Ui.Say($"TIP: Use 'rav tasks {app.Name}' to see its state, and 'rav logs {app.Name} --recent' for its output.");
        Ui.Result(task.Raw);
    }
}
