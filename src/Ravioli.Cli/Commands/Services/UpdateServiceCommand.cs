using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Marketplace;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav update-service</c>: changes a managed instance's plan, parameters or tags. Plan and parameter changes
/// go to the broker in the background (<c>--wait</c> follows them); tags change at once.
/// </summary>
internal sealed class UpdateServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Service instance to update" };
    private readonly Option<string?> _plan = new("-p") { Description = "Change to this plan of the same offering", HelpName = "NEW_PLAN" };
    private readonly Option<string?> _parameters = ServiceOptions.Parameters();
    private readonly Option<string?> _tags = ServiceOptions.Tags();
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public UpdateServiceCommand(CliSession session)
        : base(session, "update-service", "Change a service instance's plan, parameters or tags")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_plan);
        Command.Options.Add(_parameters);
        Command.Options.Add(_tags);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var planName = parseResult.GetValue(_plan);
        var parameters = JsonArgument.Read(parseResult.GetValue(_parameters), "-c", Session.Env.WorkingDirectory);
        var tags = ServiceTags.Parse(parseResult.GetValue(_tags));
        if (planName is null && parameters is null && tags is null)
        {
            Ui.Say("No flags specified. No changes were made.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        Ui.Say($"Updating service instance {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var instance = await Session.Resolve.ServiceInstanceAsync(space, name, cancellationToken);
        if (!instance.IsManaged && (planName is not null || parameters is not null))
        {
            throw new CliException($"Service instance {name} is user-provided: it has no plan or broker parameters. Change its credentials with 'rav update-user-provided-service {name} -p ...'.");
        }

        var body = new JsonObject();
        if (planName is not null)
        {
            var plan = await PlanOfSameOfferingAsync(instance, planName, space.Guid, cancellationToken);
            body["relationships"] = new JsonObject { ["service_plan"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = plan.Guid } } };
        }

        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }

        if (tags is not null)
        {
            body["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]);
        }

        var path = $"/v3/service_instances/{instance.Guid}";
        var answer = await Api.PatchAsync(path, body, cancellationToken);
        var result = await ServiceOperations.FinishAsync(Session, path, answer, parseResult.GetValue(_wait), $"service instance {name}", null, cancellationToken);
        Ui.Blank();
        Ui.Say(result.InProgress
            ? ServiceOperations.InProgressMessage("update", $"'rav services' or 'rav service {name}'")
            : $"Update of service instance {name} completed.");
        Ui.Ok();
        Ui.Result(result.Json);
    }

    private async Task<ServicePlanResource> PlanOfSameOfferingAsync(ServiceInstanceResource instance, string planName, string spaceGuid, CancellationToken cancellationToken)
    {
        var current = instance.PlanGuid is { } guid
            ? Json.Resource<ServicePlanResource>(await Api.GetAsync($"/v3/service_plans/{guid}", cancellationToken))
            : throw new CliException($"Service instance {instance.Name} has no plan to change.");
        var offering = Json.Resource<ServiceOfferingResource>(await Api.GetAsync($"/v3/service_offerings/{current.OfferingGuid}", cancellationToken));
        return await Catalog.PlanAsync(Api, offering, planName, spaceGuid, cancellationToken);
    }
}
