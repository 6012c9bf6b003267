using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>
/// <c>rav scale</c>: changes a process's instance count, memory or disk. New memory or disk needs new
/// instances; the platform replaces them one at a time, so there is nothing to confirm as cf does.
/// </summary>
internal sealed class ScaleCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to scale" };
    private readonly Option<string?> _instances = new("--instances", "-i") { Description = "Number of instances" };
    private readonly Option<string?> _memory = new("--memory", "-m") { Description = "Memory per instance, e.g. 256M or 1G" };
    private readonly Option<string?> _disk = new("--disk", "-k") { Description = "Disk per instance, e.g. 512M or 1G" };
    private readonly Option<string> _process = new("--process") { Description = "Process type to scale", DefaultValueFactory = _ => "web" };
    private readonly Option<bool> _force = new("--force", "-f") { Description = "Accepted for cf compatibility: restarts are rolling, so nothing is asked" };

    public ScaleCommand(CliSession session)
        : base(session, "scale", "Change or show the instance count, memory and disk of an app's process")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_instances);
        Command.Options.Add(_memory);
        Command.Options.Add(_disk);
        Command.Options.Add(_process);
        Command.Options.Add(_force);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var type = parseResult.GetRequiredValue(_process);

        // Check every flag before anything is sent, so a typo never half-scales an app.
        var body = new JsonObject();
        if (parseResult.GetValue(_instances) is { } instances)
        {
            body["instances"] = Limits.ParseInstances(instances, "--instances (-i)");
        }

        if (parseResult.GetValue(_memory) is { } memory)
        {
            body["memory_in_mb"] = Limits.ParseSize(memory, "--memory (-m)");
        }

        if (parseResult.GetValue(_disk) is { } disk)
        {
            body["disk_in_mb"] = Limits.ParseSize(disk, "--disk (-k)");
        }

        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        ProcessResource process;
        if (body.Count == 0)
        {
            Ui.Say($"Showing current scale of app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
            process = Json.Resource<ProcessResource>(await Api.GetAsync($"/v3/apps/{app.Guid}/processes/{Resolver.Escape(type)}", cancellationToken));
        }
        else
        {
            Ui.Say($"Scaling app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
            var restarts = body.ContainsKey("memory_in_mb") || body.ContainsKey("disk_in_mb");
            process = Json.Resource<ProcessResource>(
                await Api.PostAsync($"/v3/apps/{app.Guid}/processes/{Resolver.Escape(type)}/actions/scale", body, cancellationToken));
            if (restarts && type == "web" && AppDetails.IsStarted(app))
            {
                Ui.Blank();
                await AppStartup.WaitAsync(Session, app, rolling: true, cancellationToken);
            }
        }

        Ui.Blank();
        var view = await AppDetails.ViewAsync(Api, app, process, cancellationToken);
        AppDetails.PrintProcess(Ui, view, await AppDetails.CurrentDropletAsync(Api, app.Guid, cancellationToken));
        Ui.Result(process.Raw);
    }
}
