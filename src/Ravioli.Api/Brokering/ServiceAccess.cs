using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Brokering;

/// <summary>Plan visibility types, as Cloud Foundry names them.</summary>
public static class VisibilityTypes
{
    public const string Admin = "admin";
    public const string Public = "public";
    public const string Organization = "organization";
    public const string Space = "space";
}

public static class InstanceTypes
{
    public const string Managed = "managed";
    public const string UserProvided = "user-provided";
}

public static class BindingTypes
{
    public const string App = "app";
    public const string Key = "key";
}

public static class OperationTypes
{
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
}

public static class OperationStates
{
    public const string Initial = "initial";
    public const string InProgress = "in progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>Who may see which brokers, plans, instances and bindings.</summary>
public static class ServiceAccess
{
    public static IQueryable<ServiceBrokerEntity> Brokers(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.ServiceBrokers;
        }
        // Space developers manage their space's brokers; nobody else sees brokers (as in Cloud Foundry).
        var spaces = caller.Roles.Where(r => r.SpaceGuid is not null && r.Type == Core.Tenancy.RoleTypes.SpaceDeveloper).Select(r => r.SpaceGuid).ToArray();
        return db.ServiceBrokers.Where(b => b.SpaceGuid != null && spaces.Contains(b.SpaceGuid));
    }

    /// <summary>Plans the caller may see: public ones, their orgs' ones, their spaces' brokers' ones; admins see all.</summary>
    public static IQueryable<ServicePlanEntity> Plans(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.ServicePlans;
        }
        var orgs = caller.OrganizationGuids.ToArray();
        var spaces = Visible.Spaces(db, caller).Select(s => s.Guid);
        return db.ServicePlans.Where(p =>
            p.VisibilityType == VisibilityTypes.Public
            || (p.VisibilityType == VisibilityTypes.Organization && db.ServicePlanVisibilities.Any(v => v.PlanGuid == p.Guid && orgs.Contains(v.OrganizationGuid)))
            || (p.VisibilityType == VisibilityTypes.Space && spaces.Contains(p.Offering!.Broker!.SpaceGuid!)));
    }

    /// <summary>Whether instances of the plan may be created in the space.</summary>
    public static async Task<bool> PlanUsableInAsync(RavioliDb db, Caller caller, ServicePlanEntity plan, SpaceEntity space, CancellationToken ct) =>
        plan.VisibilityType switch
        {
            VisibilityTypes.Public => true,
            VisibilityTypes.Admin => caller.IsAdmin,
            VisibilityTypes.Organization => caller.IsAdmin
                || await db.ServicePlanVisibilities.AnyAsync(v => v.PlanGuid == plan.Guid && v.OrganizationGuid == space.OrganizationGuid, ct),
            VisibilityTypes.Space => await db.ServiceOfferings.AnyAsync(o => o.Guid == plan.OfferingGuid && o.Broker!.SpaceGuid == space.Guid, ct),
            _ => false,
        };

    public static IQueryable<ServiceInstanceEntity> Instances(RavioliDb db, Caller caller)
    {
        var spaces = Visible.Spaces(db, caller).Select(s => s.Guid);
        return caller.IsAdmin ? db.ServiceInstances : db.ServiceInstances.Where(i => spaces.Contains(i.SpaceGuid));
    }

    public static IQueryable<ServiceBindingEntity> Bindings(RavioliDb db, Caller caller)
    {
        var spaces = Visible.Spaces(db, caller).Select(s => s.Guid);
        return caller.IsAdmin ? db.ServiceBindings : db.ServiceBindings.Where(b => spaces.Contains(b.Instance!.SpaceGuid));
    }

    /// <summary>Credentials and parameters: space developers (and admins) only, as in Cloud Foundry.</summary>
    public static void RequireDeveloper(Caller caller, SpaceEntity space, string action) =>
        Visible.Require(caller.IsSpaceDeveloper(space.Guid), $"You need the space_developer role in '{space.Name}' to {action}.");
}
