using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary>What became of a bind: a binding made now (done or still running), or one that was there already.</summary>
internal sealed record BindResult(OperationResult Operation, bool AlreadyBound);

/// <summary>Binds a service instance to an app, for <c>bind-service</c> and for the <c>services:</c> of a push manifest.</summary>
internal static class AppBinder
{
    public static async Task<BindResult> BindAsync(
        CliSession session,
        AppResource app,
        ServiceInstanceResource instance,
        JsonObject? parameters,
        string? bindingName,
        bool wait,
        CancellationToken cancellationToken)
    {
        var existing = await BindingLookup.FindAppBindingAsync(session.Api, app.Guid, instance.Guid, cancellationToken);
        if (existing is not null)
        {
            // A binding still being made counts as bound; the caller who waits, waits for it to finish.
            var current = await ServiceOperations.FinishAsync(
                session, $"/v3/service_credential_bindings/{existing.Guid}", existing.Raw, wait, Subject(app, instance), WhenFailed(app, instance), cancellationToken);
            return new BindResult(current, AlreadyBound: true);
        }

        var body = new JsonObject
        {
            ["type"] = ServiceCredentialBindingResource.App,
            ["relationships"] = new JsonObject
            {
                ["service_instance"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = instance.Guid } },
                ["app"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = app.Guid } },
            },
        };
        if (bindingName is not null)
        {
            body["name"] = bindingName;
        }

        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }

        var created = await session.Api.PostAsync("/v3/service_credential_bindings", body, cancellationToken);
        var guid = created.GetProperty("guid").GetString();
        var result = await ServiceOperations.FinishAsync(
            session, $"/v3/service_credential_bindings/{guid}", created, wait, Subject(app, instance), WhenFailed(app, instance), cancellationToken);
        return new BindResult(result, AlreadyBound: false);
    }

    private static string Subject(AppResource app, ServiceInstanceResource instance) => $"the binding of service instance {instance.Name} to app {app.Name}";

    private static string WhenFailed(AppResource app, ServiceInstanceResource instance)
        => $"Unbind it with 'rav unbind-service {app.Name} {instance.Name} -f' before binding again.";
}
