using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Brokering;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Core.Faults;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record ServiceBindingRelationships(ToOne? App, ToOne ServiceInstance);

public sealed record ServiceBindingResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string? Name, string Type, LastOperation LastOperation,
    ServiceBindingRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record ServiceBindingRelationshipsRequest(Relationship? ServiceInstance, Relationship? App);

public sealed record CreateServiceBindingRequest(string? Type, string? Name, ServiceBindingRelationshipsRequest? Relationships, JsonObject? Parameters);

public sealed record ServiceBindingDetails(JsonObject Credentials, string? SyslogDrainUrl, JsonArray VolumeMounts);

public sealed record IncludedBindingResources(IReadOnlyList<AppSummary>? Apps, IReadOnlyList<ServiceInstanceSummary>? ServiceInstances);

public sealed record AppSummary(string Guid, string Name);

public sealed record ServiceInstanceSummary(string Guid, string Name, string Type);

/// <summary>App bindings and service keys: both are OSB bindings, the key's just has no app.</summary>
public static class ServiceBindingsApi
{
    public static RouteGroupBuilder MapServiceBindingsApi(this RouteGroupBuilder v3)
    {
        var bindings = v3.MapGroup("/service_credential_bindings").WithTags("Service credential bindings");
        bindings.MapGet("/", ListAsync);
        bindings.MapPost("/", CreateAsync).Accepts<CreateServiceBindingRequest>("application/json");
        bindings.MapGet("/{guid}", GetAsync);
        bindings.MapGet("/{guid}/details", DetailsAsync);
        bindings.MapDelete("/{guid}", DeleteAsync);
        return v3;
    }

    private static ServiceBindingResource Present(HttpRequest request, ServiceBindingEntity b)
    {
        var links = new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/service_credential_bindings/{b.Guid}"),
            ["details"] = Urls.To(request, $"/v3/service_credential_bindings/{b.Guid}/details"),
            ["service_instance"] = Urls.To(request, $"/v3/service_instances/{b.InstanceGuid}"),
        };
        if (b.AppGuid is not null)
        {
            links["app"] = Urls.To(request, $"/v3/apps/{b.AppGuid}");
        }
        return new(b.Guid, b.CreatedAt, b.UpdatedAt, b.Name, b.Type, LastOperation.Of(b),
            new ServiceBindingRelationships(b.AppGuid is null ? null : ToOne.Of(b.AppGuid), ToOne.Of(b.InstanceGuid)), links);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "type", "app_guids", "app_names", "service_instance_guids", "service_instance_names", "include");
        var source = ServiceAccess.Bindings(db, caller).AsNoTracking()
            .WhereIn(query, "names", b => b.Name!)
            .WhereIn(query, "guids", b => b.Guid)
            .WhereIn(query, "type", b => b.Type)
            .WhereIn(query, "app_guids", b => b.AppGuid!)
            .WhereIn(query, "service_instance_guids", b => b.InstanceGuid)
            .WhereIn(query, "service_instance_names", b => b.Instance!.Name!);
        if (query.Filter("app_names") is { } appNames)
        {
            source = source.Where(b => db.Apps.Any(a => a.Guid == b.AppGuid && appNames.Contains(a.Name)));
        }
        var include = query.Filter("include") ?? [];
        if (include.Except(["app", "service_instance"]).FirstOrDefault() is { } unknown)
        {
            throw ApiProblem.BadRequest($"include: '{unknown}' is not one of app, service_instance");
        }
        var page = await Lists.PageAsync(source, query, request, b => b, ct);
        var result = new Page<ServiceBindingResource>(page.Pagination, [.. page.Resources.Select(b => Present(request, b))]);
        if (include.Length > 0)
        {
            var appGuids = page.Resources.Where(b => b.AppGuid != null).Select(b => b.AppGuid!).Distinct().ToArray();
            var instanceGuids = page.Resources.Select(b => b.InstanceGuid).Distinct().ToArray();
            result = result with
            {
                Included = new IncludedBindingResources(
                    include.Contains("app") ? await db.Apps.Where(a => appGuids.Contains(a.Guid)).Select(a => new AppSummary(a.Guid, a.Name)).ToListAsync(ct) : null,
                    include.Contains("service_instance")
                        ? await db.ServiceInstances.Where(i => instanceGuids.Contains(i.Guid)).Select(i => new ServiceInstanceSummary(i.Guid, i.Name!, i.Type)).ToListAsync(ct)
                        : null),
            };
        }
        return TypedResults.Ok(result);
    }

    private static async Task<ServiceBindingEntity> BindingAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await ServiceAccess.Bindings(db, caller).Include(b => b.Instance!).ThenInclude(i => i.Space).FirstOrDefaultAsync(b => b.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Service credential binding", guid);

    private static async Task<IResult> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await BindingAsync(db, caller, guid, ct)));

    private static async Task<IResult> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, ServiceOperations operations, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateServiceBindingRequest>(request);
        var errors = new FieldErrors();
        if (body.Type is not (BindingTypes.App or BindingTypes.Key))
        {
            errors.Add("type", "must be app or key");
        }
        if (body.Type == BindingTypes.Key || body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        if (body.Type == BindingTypes.App && body.Relationships?.App?.Data?.Guid is null)
        {
            errors.Add("relationships.app.data.guid", "is required for an app binding");
        }
        if (body.Type == BindingTypes.Key && body.Relationships?.App is not null)
        {
            errors.Add("relationships.app", "is not allowed for a service key");
        }
        if (body.Parameters is not null && body.Parameters.ToJsonString().Length > 64 * 1024)
        {
            errors.Add("parameters", "must be at most 64 KiB of JSON");
        }
        errors.ThrowIfAny();

        var instance = await Visible.RelatedAsync(
            ServiceAccess.Instances(db, caller).Include(i => i.Space).Include(i => i.Plan!).ThenInclude(p => p.Offering),
            body.Relationships?.ServiceInstance?.Data?.Guid, "relationships.service_instance.data.guid", "service instance", ct);
        ServiceAccess.RequireDeveloper(caller, instance.Space!, body.Type == BindingTypes.App ? "bind services" : "create service keys");
        AppEntity? app = null;
        if (body.Type == BindingTypes.App)
        {
            app = await Visible.RelatedAsync(Visible.Apps(db, caller), body.Relationships!.App!.Data!.Guid, "relationships.app.data.guid", "app", ct);
            if (app.SpaceGuid != instance.SpaceGuid)
            {
                throw ApiProblem.Invalid("relationships.app.data.guid", $"app '{app.Name}' is in another space than service instance '{instance.Name}'");
            }
        }
        var managed = instance.Type == InstanceTypes.Managed;
        if (managed)
        {
            if (!(instance.Plan!.Bindable ?? instance.Plan.Offering!.Bindable))
            {
                throw ApiProblem.Unprocessable($"Service instance '{instance.Name}' ({instance.Plan.Offering!.Name} {instance.Plan.Name}) is not bindable.");
            }
            if (instance.LastOperationState != OperationStates.Succeeded && !(instance.LastOperationType == OperationTypes.Update && instance.LastOperationState == OperationStates.Failed))
            {
                throw ApiProblem.Unprocessable(instance.LastOperationState == OperationStates.InProgress
                    ? $"Service instance '{instance.Name}' is not ready: its {instance.LastOperationType} is in progress. Wait for it ('rav service {instance.Name}')."
                    : $"Service instance '{instance.Name}' cannot be bound: its {instance.LastOperationType} failed ({instance.LastOperationDescription}).");
            }
        }
        else if (body.Parameters is not null)
        {
            throw ApiProblem.Invalid("parameters", "user-provided service instances take no binding parameters");
        }
        var uniqueName = body.Type == BindingTypes.App ? app!.Guid : body.Name!;
        var message = body.Type == BindingTypes.App
            ? $"app '{app!.Name}' is already bound to service instance '{instance.Name}'"
            : $"service instance '{instance.Name}' already has a key named '{body.Name}'";
        if (await db.ServiceBindings.AnyAsync(b => b.InstanceGuid == instance.Guid && b.Type == body.Type && b.UniqueName == uniqueName, ct))
        {
            throw ApiProblem.Invalid(body.Type == BindingTypes.App ? "relationships.app.data.guid" : "name", message);
        }
        var now = db.UtcNow;
        var binding = new ServiceBindingEntity
        {
            Name = body.Name,
            Type = body.Type!,
            InstanceGuid = instance.Guid,
            AppGuid = app?.Guid,
            UniqueName = uniqueName,
            LastOperationType = OperationTypes.Create,
            LastOperationState = managed ? OperationStates.InProgress : OperationStates.Succeeded,
            LastOperationCreatedAt = now,
            LastOperationUpdatedAt = now,
            OperationUserGuid = caller.UserGuid,
            PendingRequest = body.Parameters is null ? null : operations.SealPending(new PendingServiceRequest(body.Parameters, null)),
        };
        db.ServiceBindings.Add(binding);
        var kind = body.Type == BindingTypes.App ? "service_binding" : "service_key";
        AuditLog.Record(db, caller, $"audit.{kind}.create", new(kind, binding.Guid, binding.Name ?? instance.Name!), instance.Space!.OrganizationGuid, instance.SpaceGuid,
            new { service_instance_guid = instance.Guid, app_guid = app?.Guid, name = binding.Name });
        await OrganizationsApi.SaveUniqueAsync(db, body.Type == BindingTypes.App ? "relationships.app.data.guid" : "name", message, ct);
        if (!managed)
        {
            return TypedResults.Created($"/v3/service_credential_bindings/{binding.Guid}", Present(request, binding));
        }
        FaultPoints.Reach("bind.row-committed");
        operations.Wake();
        return TypedResults.Accepted($"/v3/service_credential_bindings/{binding.Guid}", Present(request, binding));
    }

    private static async Task<IResult> DetailsAsync(string guid, Caller caller, RavioliDb db, SecretBox secrets, CancellationToken ct)
    {
        var binding = await BindingAsync(db, caller, guid, ct);
        ServiceAccess.RequireDeveloper(caller, binding.Instance!.Space!, "read service credentials");
        var instance = binding.Instance;
        if (binding.LastOperationState == OperationStates.InProgress && binding.LastOperationType == OperationTypes.Create)
        {
            throw ApiProblem.NotFound("Service credential binding details (the bind is still in progress) for", guid);
        }
        var sealedCredentials = instance.Type == InstanceTypes.UserProvided ? instance.Credentials : binding.Credentials;
        var credentials = sealedCredentials is null ? [] : JsonNode.Parse(secrets.Open(sealedCredentials)) as JsonObject ?? [];
        var syslog = instance.Type == InstanceTypes.UserProvided ? instance.SyslogDrainUrl : binding.SyslogDrainUrl;
        var mounts = binding.VolumeMounts is null ? [] : JsonNode.Parse(binding.VolumeMounts) as JsonArray ?? [];
        return TypedResults.Ok(new ServiceBindingDetails(credentials, syslog, mounts));
    }

    private static async Task<IResult> DeleteAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, ServiceOperations operations, CancellationToken ct)
    {
        var binding = await BindingAsync(db, caller, guid, ct);
        var instance = binding.Instance!;
        ServiceAccess.RequireDeveloper(caller, instance.Space!, binding.Type == BindingTypes.App ? "unbind services" : "delete service keys");
        if (binding.LastOperationState == OperationStates.InProgress)
        {
            throw ApiProblem.Conflict($"An operation for this binding is in progress ({binding.LastOperationType}); wait for it to finish.");
        }
        var kind = binding.Type == BindingTypes.App ? "service_binding" : "service_key";
        AuditLog.Record(db, caller, $"audit.{kind}.delete", new(kind, binding.Guid, binding.Name ?? instance.Name!), instance.Space!.OrganizationGuid, instance.SpaceGuid,
            new { service_instance_guid = instance.Guid, app_guid = binding.AppGuid });
        if (instance.Type == InstanceTypes.UserProvided)
        {
            db.ServiceBindings.Remove(binding);
            await db.SaveChangesAsync(ct);
            return TypedResults.NoContent();
        }
        MarkForDeletion(db, binding, caller.UserGuid);
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("unbind.row-committed");
        operations.Wake();
        return TypedResults.Accepted($"/v3/service_credential_bindings/{binding.Guid}", Present(request, binding));
    }

    /// <summary>Queues an unbind for the operations loop (also used when an app with bindings is deleted).</summary>
    internal static void MarkForDeletion(RavioliDb db, ServiceBindingEntity binding, string userGuid)
    {
        var now = db.UtcNow;
        binding.LastOperationType = OperationTypes.Delete;
        binding.LastOperationState = OperationStates.InProgress;
        binding.LastOperationDescription = null;
        binding.LastOperationCreatedAt = now;
        binding.LastOperationUpdatedAt = now;
        binding.BrokerOperation = null;
        binding.PendingRequest = null;
        binding.OrphanMitigation = false;
        binding.OperationUserGuid = userGuid;
    }
}
