using System.Text.Json;
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
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record LastOperation(string Type, string State, string? Description, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static LastOperation Of(ServiceOperationEntity e) =>
        new(e.LastOperationType, e.LastOperationState, e.LastOperationDescription, e.LastOperationCreatedAt, e.LastOperationUpdatedAt);
}

public sealed record ServiceInstanceRelationships(ToOne Space, ToOne? ServicePlan);

public sealed record NameOnly(string Name);

public sealed record ServiceInstanceResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, string Type, IReadOnlyList<string> Tags, string? SyslogDrainUrl,
    string? RouteServiceUrl, string? DashboardUrl, LastOperation LastOperation, ServiceInstanceRelationships Relationships,
    NameOnly? ServicePlan, NameOnly? ServiceOffering, NameOnly? ServiceBroker, int BoundAppCount, IReadOnlyDictionary<string, Link> Links);

public sealed record ServiceInstanceRelationshipsRequest(Relationship? Space, Relationship? ServicePlan);

public sealed record CreateServiceInstanceRequest(
    string? Type, string? Name, ServiceInstanceRelationshipsRequest? Relationships, JsonObject? Parameters, IReadOnlyList<string>? Tags,
    JsonObject? Credentials, string? SyslogDrainUrl, string? RouteServiceUrl);

public sealed record UpdateServiceInstanceRequest(
    string? Name, ServiceInstanceRelationshipsRequest? Relationships, JsonObject? Parameters, IReadOnlyList<string>? Tags,
    JsonObject? Credentials, string? SyslogDrainUrl, string? RouteServiceUrl);

/// <summary>Managed (broker-provisioned) and user-provided service instances.</summary>
public static class ServiceInstancesApi
{
    /// <summary>Cloud Foundry's limit on a service instance's tags, all together.</summary>
    private const int MaxTagsLength = 2048;
    private const long MaxCredentialsBytes = 64 * 1024;

    public static RouteGroupBuilder MapServiceInstancesApi(this RouteGroupBuilder v3)
    {
        var instances = v3.MapGroup("/service_instances").WithTags("Service instances");
        instances.MapGet("/", ListAsync);
        instances.MapPost("/", CreateAsync).Accepts<CreateServiceInstanceRequest>("application/json");
        instances.MapGet("/{guid}", GetAsync);
        instances.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateServiceInstanceRequest>("application/json");
        instances.MapDelete("/{guid}", DeleteAsync);
        instances.MapGet("/{guid}/credentials", CredentialsAsync);
        instances.MapGet("/{guid}/parameters", ParametersAsync);
        return v3;
    }

    private static IQueryable<ServiceInstanceEntity> Detailed(IQueryable<ServiceInstanceEntity> q) =>
        q.Include(i => i.Plan!).ThenInclude(p => p.Offering!).ThenInclude(o => o.Broker).Include(i => i.Space!).ThenInclude(s => s.Organization);

    internal static ServiceInstanceResource Present(HttpRequest request, ServiceInstanceEntity i, int boundApps) => new(
        i.Guid, i.CreatedAt, i.UpdatedAt, i.Name!, i.Type, JsonSerializer.Deserialize<List<string>>(i.Tags) ?? [],
        i.SyslogDrainUrl, i.RouteServiceUrl, i.DashboardUrl, LastOperation.Of(i),
        new ServiceInstanceRelationships(ToOne.Of(i.SpaceGuid), i.Type == InstanceTypes.Managed ? ToOne.Of(i.PlanGuid) : null),
        i.Plan is null ? null : new NameOnly(i.Plan.Name),
        i.Plan?.Offering is null ? null : new NameOnly(i.Plan.Offering.Name),
        i.Plan?.Offering?.Broker is null ? null : new NameOnly(i.Plan.Offering.Broker.Name),
        boundApps,
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/service_instances/{i.Guid}"),
            ["space"] = Urls.To(request, $"/v3/spaces/{i.SpaceGuid}"),
            ["service_credential_bindings"] = Urls.To(request, $"/v3/service_credential_bindings?service_instance_guids={i.Guid}"),
        });

    private static async Task<Dictionary<string, int>> BoundAppCountsAsync(RavioliDb db, IReadOnlyCollection<string> guids, CancellationToken ct) =>
        await db.ServiceBindings.Where(b => guids.Contains(b.InstanceGuid) && b.Type == BindingTypes.App)
            .GroupBy(b => b.InstanceGuid).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);

    private static async Task<IResult> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "space_guids", "organization_guids", "type", "service_plan_guids", "service_plan_names");
        var source = Detailed(ServiceAccess.Instances(db, caller).AsNoTracking())
            .WhereIn(query, "names", i => i.Name!)
            .WhereIn(query, "guids", i => i.Guid)
            .WhereIn(query, "space_guids", i => i.SpaceGuid)
            .WhereIn(query, "organization_guids", i => i.Space!.OrganizationGuid)
            .WhereIn(query, "type", i => i.Type)
            .WhereIn(query, "service_plan_guids", i => i.PlanGuid!)
            .WhereIn(query, "service_plan_names", i => i.Plan!.Name);
        var page = await Lists.PageAsync(source, query, request, i => i, ct);
        var counts = await BoundAppCountsAsync(db, [.. page.Resources.Select(i => i.Guid)], ct);
        return TypedResults.Ok(new Page<ServiceInstanceResource>(page.Pagination,
            [.. page.Resources.Select(i => Present(request, i, counts.GetValueOrDefault(i.Guid)))]));
    }

    internal static async Task<ServiceInstanceEntity> InstanceAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await Detailed(ServiceAccess.Instances(db, caller)).FirstOrDefaultAsync(i => i.Guid == guid, ct) ?? throw ApiProblem.NotFound("Service instance", guid);

    private static async Task<IResult> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var instance = await InstanceAsync(db, caller, guid, ct);
        var counts = await BoundAppCountsAsync(db, [instance.Guid], ct);
        return TypedResults.Ok(Present(request, instance, counts.GetValueOrDefault(instance.Guid)));
    }

    private static void CheckCommon(FieldErrors errors, IReadOnlyList<string>? tags, string? syslogDrainUrl, string? routeServiceUrl)
    {
        if (tags is not null)
        {
            if (tags.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add("tags", "must not contain empty tags");
            }
            else if (tags.Sum(t => t.Length) > MaxTagsLength)
            {
                errors.Add("tags", $"must be at most {MaxTagsLength} characters all together");
            }
        }
        errors.Check("syslog_drain_url", CheckUrl(syslogDrainUrl, "syslog", "syslog-tls", "https", "http"));
        errors.Check("route_service_url", CheckUrl(routeServiceUrl, "https"));
    }

    private static string? CheckUrl(string? url, params string[] schemes)
    {
        if (url is null || url.Length == 0)
        {
            return null;
        }
        return url.Length <= 2048 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme)
            ? null
            : $"must be a URL with scheme {string.Join(" or ", schemes)}, at most 2048 characters";
    }

    private static void CheckCredentials(FieldErrors errors, JsonObject? credentials)
    {
        if (credentials is not null && credentials.ToJsonString().Length > MaxCredentialsBytes)
        {
            errors.Add("credentials", $"must be at most {MaxCredentialsBytes / 1024} KiB of JSON");
        }
    }

    private static void CheckParameters(FieldErrors errors, JsonObject? parameters)
    {
        if (parameters is not null && parameters.ToJsonString().Length > MaxCredentialsBytes)
        {
            errors.Add("parameters", $"must be at most {MaxCredentialsBytes / 1024} KiB of JSON");
        }
    }

    private static async Task<IResult> CreateAsync(
        HttpRequest request, Caller caller, RavioliDb db, SecretBox secrets, ServiceOperations operations, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateServiceInstanceRequest>(request);
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        if (body.Type is not (InstanceTypes.Managed or InstanceTypes.UserProvided))
        {
            errors.Add("type", "must be managed or user-provided");
        }
        CheckCommon(errors, body.Tags, body.SyslogDrainUrl, body.RouteServiceUrl);
        CheckCredentials(errors, body.Credentials);
        CheckParameters(errors, body.Parameters);
        if (body.Type == InstanceTypes.Managed)
        {
            if (body.Credentials is not null) { errors.Add("credentials", "is only for user-provided instances; a managed instance's credentials come from its broker"); }
            if (body.SyslogDrainUrl is not null) { errors.Add("syslog_drain_url", "is only for user-provided instances"); }
            if (body.RouteServiceUrl is not null) { errors.Add("route_service_url", "is only for user-provided instances"); }
        }
        else if (body.Type == InstanceTypes.UserProvided)
        {
            if (body.Parameters is not null) { errors.Add("parameters", "is only for managed instances; user-provided ones take credentials"); }
            if (body.Relationships?.ServicePlan is not null) { errors.Add("relationships.service_plan", "is only for managed instances"); }
        }
        errors.ThrowIfAny();

        var space = await Visible.RelatedAsync(Visible.Spaces(db, caller).Include(s => s.Organization), body.Relationships?.Space?.Data?.Guid,
            "relationships.space.data.guid", "space", ct);
        ServiceAccess.RequireDeveloper(caller, space, "create service instances");
        var message = $"a service instance named '{body.Name}' already exists in space '{space.Name}'";
        if (await db.ServiceInstances.AnyAsync(i => i.SpaceGuid == space.Guid && i.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var now = db.UtcNow;
        var instance = new ServiceInstanceEntity
        {
            Name = body.Name,
            Type = body.Type!,
            SpaceGuid = space.Guid,
            Tags = JsonSerializer.Serialize(body.Tags ?? []),
            LastOperationType = OperationTypes.Create,
            LastOperationCreatedAt = now,
            LastOperationUpdatedAt = now,
            OperationUserGuid = caller.UserGuid,
        };
        if (body.Type == InstanceTypes.UserProvided)
        {
            instance.Credentials = secrets.Seal((body.Credentials ?? []).ToJsonString());
            instance.SyslogDrainUrl = NullIfEmpty(body.SyslogDrainUrl);
            instance.RouteServiceUrl = NullIfEmpty(body.RouteServiceUrl);
            instance.LastOperationState = OperationStates.Succeeded;
            instance.LastOperationDescription = "Operation succeeded";
        }
        else
        {
            var plan = await Visible.RelatedAsync(ServiceAccess.Plans(db, caller).Include(p => p.Offering!).ThenInclude(o => o.Broker),
                body.Relationships?.ServicePlan?.Data?.Guid, "relationships.service_plan.data.guid", "service plan", ct);
            if (!await ServiceAccess.PlanUsableInAsync(db, caller, plan, space, ct))
            {
                throw ApiProblem.Invalid("relationships.service_plan.data.guid",
                    $"service plan '{plan.Name}' of '{plan.Offering!.Name}' is not available in organization '{space.Organization!.Name}'; an admin enables it with 'rav enable-service-access'");
            }
            if (!plan.Available || !plan.Offering!.Available)
            {
                throw ApiProblem.Unprocessable($"Service plan '{plan.Name}' of '{plan.Offering!.Name}' is no longer offered by its broker.");
            }
            await CheckQuotaAsync(db, space, ct);
            instance.PlanGuid = plan.Guid;
            instance.Plan = plan;
            instance.LastOperationState = OperationStates.InProgress;
            instance.PendingRequest = body.Parameters is null ? null : operations.SealPending(new PendingServiceRequest(body.Parameters, null));
        }
        db.ServiceInstances.Add(instance);
        AuditLog.Record(db, caller, "audit.service_instance.create", new("service_instance", instance.Guid, instance.Name!), space.OrganizationGuid, space.Guid,
            new { name = instance.Name, type = instance.Type, service_plan_guid = instance.PlanGuid, tags = body.Tags });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        var resource = Present(request, instance, 0);
        if (instance.Type == InstanceTypes.UserProvided)
        {
            return TypedResults.Created($"/v3/service_instances/{instance.Guid}", resource);
        }
        FaultPoints.Reach("provision.row-committed");
        operations.Wake();
        return TypedResults.Accepted($"/v3/service_instances/{instance.Guid}", resource);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static async Task CheckQuotaAsync(RavioliDb db, SpaceEntity space, CancellationToken ct)
    {
        var quota = await db.Organizations.Where(o => o.Guid == space.OrganizationGuid).Select(o => o.Quota).FirstOrDefaultAsync(ct);
        if (quota?.TotalServiceInstances is int limit)
        {
            var used = await db.ServiceInstances.CountAsync(i => i.Space!.OrganizationGuid == space.OrganizationGuid && i.Type == InstanceTypes.Managed, ct);
            if (used >= limit)
            {
                throw ApiProblem.Unprocessable($"Quota '{quota.Name}' allows {limit} service instance(s) in the organization and {used} exist. Delete one or ask an admin for a larger quota.");
            }
        }
    }

    private static void RequireIdle(ServiceInstanceEntity instance)
    {
        if (instance.LastOperationState == OperationStates.InProgress)
        {
            throw ApiProblem.Conflict($"An operation for service instance '{instance.Name}' is in progress ({instance.LastOperationType}); wait for it to finish ('rav service {instance.Name}').");
        }
    }

    private static async Task<IResult> UpdateAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, SecretBox secrets, ServiceOperations operations, CancellationToken ct)
    {
        var instance = await InstanceAsync(db, caller, guid, ct);
        ServiceAccess.RequireDeveloper(caller, instance.Space!, "update service instances");
        var body = await JsonBody.ReadAsync<UpdateServiceInstanceRequest>(request);
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        CheckCommon(errors, body.Tags, body.SyslogDrainUrl, body.RouteServiceUrl);
        CheckCredentials(errors, body.Credentials);
        CheckParameters(errors, body.Parameters);
        var managed = instance.Type == InstanceTypes.Managed;
        if (body.Relationships?.Space is not null)
        {
            errors.Add("relationships.space", "cannot be changed; create the instance in the other space instead");
        }
        if (managed)
        {
            if (body.Credentials is not null) { errors.Add("credentials", "is only for user-provided instances"); }
            if (body.SyslogDrainUrl is not null) { errors.Add("syslog_drain_url", "is only for user-provided instances"); }
            if (body.RouteServiceUrl is not null) { errors.Add("route_service_url", "is only for user-provided instances"); }
        }
        else
        {
            if (body.Parameters is not null) { errors.Add("parameters", "is only for managed instances"); }
            if (body.Relationships?.ServicePlan is not null) { errors.Add("relationships.service_plan", "is only for managed instances"); }
        }
        errors.ThrowIfAny();
        RequireIdle(instance);

        var message = $"a service instance named '{body.Name}' already exists in space '{instance.Space!.Name}'";
        if (body.Name is not null && body.Name != instance.Name && await db.ServiceInstances.AnyAsync(i => i.SpaceGuid == instance.SpaceGuid && i.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        instance.Name = body.Name ?? instance.Name;
        if (body.Tags is not null)
        {
            instance.Tags = JsonSerializer.Serialize(body.Tags);
        }
        var brokerUpdate = false;
        if (managed && (body.Parameters is not null || body.Relationships?.ServicePlan is not null))
        {
            string? newPlan = null;
            if (body.Relationships?.ServicePlan is { } planRef)
            {
                var plan = await Visible.RelatedAsync(ServiceAccess.Plans(db, caller), planRef.Data?.Guid, "relationships.service_plan.data.guid", "service plan", ct);
                if (plan.OfferingGuid != instance.Plan!.OfferingGuid)
                {
                    throw ApiProblem.Invalid("relationships.service_plan.data.guid", $"plan '{plan.Name}' belongs to another service offering than '{instance.Plan.Offering!.Name}'");
                }
                if (plan.Guid != instance.PlanGuid)
                {
                    if (!(instance.Plan.PlanUpdateable ?? instance.Plan.Offering!.PlanUpdateable))
                    {
                        throw ApiProblem.Unprocessable($"The plan of '{instance.Name}' cannot be changed: the broker's '{instance.Plan.Offering!.Name}' plans are not plan_updateable.");
                    }
                    if (!await ServiceAccess.PlanUsableInAsync(db, caller, plan, instance.Space, ct))
                    {
                        throw ApiProblem.Invalid("relationships.service_plan.data.guid", $"service plan '{plan.Name}' is not available in this organization");
                    }
                    newPlan = plan.Guid;
                }
            }
            if (body.Parameters is not null || newPlan is not null)
            {
                var now = db.UtcNow;
                instance.LastOperationType = OperationTypes.Update;
                instance.LastOperationState = OperationStates.InProgress;
                instance.LastOperationDescription = null;
                instance.LastOperationCreatedAt = now;
                instance.LastOperationUpdatedAt = now;
                instance.BrokerOperation = null;
                instance.OperationUserGuid = caller.UserGuid;
                instance.PendingRequest = operations.SealPending(new PendingServiceRequest(body.Parameters, newPlan));
                brokerUpdate = true;
            }
        }
        if (!managed)
        {
            if (body.Credentials is not null)
            {
                instance.Credentials = secrets.Seal(body.Credentials.ToJsonString());
            }
            instance.SyslogDrainUrl = body.SyslogDrainUrl is null ? instance.SyslogDrainUrl : NullIfEmpty(body.SyslogDrainUrl);
            instance.RouteServiceUrl = body.RouteServiceUrl is null ? instance.RouteServiceUrl : NullIfEmpty(body.RouteServiceUrl);
            instance.LastOperationType = OperationTypes.Update;
            instance.LastOperationState = OperationStates.Succeeded;
            instance.LastOperationCreatedAt = instance.LastOperationUpdatedAt = db.UtcNow;
        }
        AuditLog.Record(db, caller, "audit.service_instance.update", new("service_instance", instance.Guid, instance.Name!), instance.Space.OrganizationGuid, instance.SpaceGuid,
            new { name = body.Name, tags = body.Tags, service_plan_guid = body.Relationships?.ServicePlan?.Data?.Guid, parameters_changed = body.Parameters is not null, credentials_changed = body.Credentials is not null });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        var counts = await BoundAppCountsAsync(db, [instance.Guid], ct);
        var resource = Present(request, instance, counts.GetValueOrDefault(instance.Guid));
        if (brokerUpdate)
        {
            FaultPoints.Reach("update.row-committed");
            operations.Wake();
            return TypedResults.Accepted($"/v3/service_instances/{instance.Guid}", resource);
        }
        return TypedResults.Ok(resource);
    }

    private static async Task<IResult> DeleteAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, ServiceOperations operations, CancellationToken ct)
    {
        var instance = await InstanceAsync(db, caller, guid, ct);
        ServiceAccess.RequireDeveloper(caller, instance.Space!, "delete service instances");
        var purge = request.Query["purge"] == "true";
        if (purge)
        {
            Visible.Require(caller.IsAdmin, "Only platform admins can purge a service instance.");
            await db.ServiceBindings.Where(b => b.InstanceGuid == instance.Guid).ExecuteDeleteAsync(ct);
        }
        else
        {
            var bindings = await db.ServiceBindings.Where(b => b.InstanceGuid == instance.Guid)
                .OrderBy(b => b.CreatedAt)
                .Select(b => new { b.Type, b.Name, App = db.Apps.Where(a => a.Guid == b.AppGuid).Select(a => a.Name).FirstOrDefault() })
                .ToListAsync(ct);
            if (bindings.Count > 0)
            {
                var apps = bindings.Where(b => b.Type == BindingTypes.App).Select(b => b.App ?? "(deleted app)").ToList();
                var keys = bindings.Where(b => b.Type == BindingTypes.Key).Select(b => b.Name).ToList();
                var parts = new List<string>();
                if (apps.Count > 0) { parts.Add($"bound to app(s) {string.Join(", ", apps)}"); }
                if (keys.Count > 0) { parts.Add($"has service key(s) {string.Join(", ", keys)}"); }
                throw ApiProblem.Unprocessable(
                    $"Service instance '{instance.Name}' is {string.Join(" and ", parts)}. Unbind the apps ('rav unbind-service APP {instance.Name}') and delete the keys ('rav delete-service-key {instance.Name} KEY') first.");
            }
            RequireIdle(instance);
        }
        AuditLog.Record(db, caller, "audit.service_instance.delete", new("service_instance", instance.Guid, instance.Name!), instance.Space!.OrganizationGuid, instance.SpaceGuid, new { purge });
        if (instance.Type == InstanceTypes.UserProvided || purge)
        {
            db.ServiceInstances.Remove(instance);
            await db.SaveChangesAsync(ct);
            return TypedResults.NoContent();
        }
        var now = db.UtcNow;
        instance.LastOperationType = OperationTypes.Delete;
        instance.LastOperationState = OperationStates.InProgress;
        instance.LastOperationDescription = null;
        instance.LastOperationCreatedAt = now;
        instance.LastOperationUpdatedAt = now;
        instance.BrokerOperation = null;
        instance.PendingRequest = null;
        instance.OrphanMitigation = false;
        instance.OperationUserGuid = caller.UserGuid;
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("deprovision.row-committed");
        operations.Wake();
        var counts = await BoundAppCountsAsync(db, [instance.Guid], ct);
        return TypedResults.Accepted($"/v3/service_instances/{instance.Guid}", Present(request, instance, counts.GetValueOrDefault(instance.Guid)));
    }

    private static async Task<IResult> CredentialsAsync(string guid, Caller caller, RavioliDb db, SecretBox secrets, CancellationToken ct)
    {
        var instance = await InstanceAsync(db, caller, guid, ct);
        ServiceAccess.RequireDeveloper(caller, instance.Space!, "read service credentials");
        if (instance.Type != InstanceTypes.UserProvided)
        {
            throw ApiProblem.NotFound("Credentials of user-provided service instance", guid);
        }
        return Results.Text(instance.Credentials is null ? "{}" : secrets.Open(instance.Credentials), "application/json");
    }

    private static async Task<IResult> ParametersAsync(string guid, Caller caller, RavioliDb db, BrokerCatalogs catalogs, [Microsoft.AspNetCore.Mvc.FromServices] OsbClient osb, CancellationToken ct)
    {
        var instance = await InstanceAsync(db, caller, guid, ct);
        ServiceAccess.RequireDeveloper(caller, instance.Space!, "read service instance parameters");
        if (instance.Type != InstanceTypes.Managed)
        {
            throw ApiProblem.Unprocessable("User-provided service instances have credentials, not parameters ('GET /v3/service_instances/GUID/credentials').");
        }
        var offering = instance.Plan!.Offering!;
        if (!offering.InstancesRetrievable)
        {
            throw ApiProblem.Unprocessable($"The broker of '{offering.Name}' does not support fetching instances, so their parameters cannot be shown.");
        }
        var fetched = await osb.FetchInstanceAsync(catalogs.Endpoint(offering.Broker!), instance.Guid, offering.CatalogId, instance.Plan.CatalogId,
            new OsbCallContext(caller.UserGuid, ServiceOperations.PlatformContext(instance)), ct);
        if (fetched.Outcome != OsbOutcome.Succeeded)
        {
            throw new ApiProblem(502, "bad-gateway", "Bad gateway", $"The broker could not return the instance: {fetched.Error?.Description}");
        }
        return Results.Text((fetched.Value?.Parameters ?? []).ToJsonString(), "application/json");
    }
}
