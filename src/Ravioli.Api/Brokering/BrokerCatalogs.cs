using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Brokering;

/// <summary>Fetches a broker's catalog and turns it into offerings and plans, keeping what instances still use.</summary>
public sealed class BrokerCatalogs(OsbClient osb, SecretBox secrets)
{
    public BrokerEndpoint Endpoint(ServiceBrokerEntity broker) => new(new Uri(broker.Url), broker.Username, secrets.Open(broker.Password));

    /// <summary>The catalog, or a 422 that says why the broker cannot be used.</summary>
    public async Task<OsbCatalog> FetchAsync(BrokerEndpoint broker, CancellationToken ct)
    {
        try
        {
            return await osb.GetCatalogAsync(broker, ct);
        }
        catch (OsbCatalogException e)
        {
            var problem = ApiProblem.Invalid(new Dictionary<string, string[]> { ["catalog"] = [.. e.Errors] });
            problem.Extensions["detail_hint"] = "The broker's catalog is invalid; fix it at the broker and try again.";
            throw problem;
        }
        catch (OsbBrokerException e)
        {
            throw ApiProblem.Unprocessable($"The service broker at {broker.Url} could not be used: {e.Message}");
        }
    }

    /// <summary>
    /// Brings the broker's offerings and plans in line with its catalog. New plans start disabled for a global broker
    /// (an admin enables access) and visible in the space for a space-scoped one. Offerings and plans that left the
    /// catalog are deleted, or only marked unavailable while instances still use them.
    /// </summary>
    public static async Task ApplyAsync(RavioliDb db, ServiceBrokerEntity broker, OsbCatalog catalog, CancellationToken ct)
    {
        var offerings = await db.ServiceOfferings.Where(o => o.BrokerGuid == broker.Guid).ToListAsync(ct);
        var offeringGuids = offerings.Select(o => o.Guid).ToArray();
        var plans = await db.ServicePlans.Where(p => offeringGuids.Contains(p.OfferingGuid)).ToListAsync(ct);
        var planGuids = plans.Select(p => p.Guid).ToArray();
        var usedPlans = (await db.ServiceInstances.Where(i => i.PlanGuid != null && planGuids.Contains(i.PlanGuid)).Select(i => i.PlanGuid!).Distinct().ToListAsync(ct)).ToHashSet();

        var keptPlans = new HashSet<string>();
        var keptOfferings = new HashSet<string>();
        foreach (var service in catalog.Services)
        {
            var offering = offerings.FirstOrDefault(o => o.CatalogId == service.Id);
            if (offering is null)
            {
                offering = new ServiceOfferingEntity { BrokerGuid = broker.Guid, CatalogId = service.Id };
                db.ServiceOfferings.Add(offering);
            }
            keptOfferings.Add(offering.Guid);
            offering.Name = service.Name;
            offering.Description = service.Description;
            offering.Available = true;
            offering.Tags = JsonSerializer.Serialize(service.Tags);
            offering.Requires = JsonSerializer.Serialize(service.Requires);
            offering.Metadata = service.Metadata?.ToJsonString();
            offering.Bindable = service.Bindable;
            offering.InstancesRetrievable = service.InstancesRetrievable;
            offering.BindingsRetrievable = service.BindingsRetrievable;
            offering.PlanUpdateable = service.PlanUpdateable;
            offering.AllowContextUpdates = service.AllowContextUpdates;
            foreach (var p in service.Plans)
            {
                var plan = plans.FirstOrDefault(x => x.OfferingGuid == offering.Guid && x.CatalogId == p.Id);
                if (plan is null)
                {
                    plan = new ServicePlanEntity
                    {
                        OfferingGuid = offering.Guid,
                        CatalogId = p.Id,
                        VisibilityType = broker.SpaceGuid is null ? VisibilityTypes.Admin : VisibilityTypes.Space,
                    };
                    db.ServicePlans.Add(plan);
                }
                keptPlans.Add(plan.Guid);
                plan.Name = p.Name;
                plan.Description = p.Description;
                plan.Available = true;
                plan.Free = p.Free;
                plan.Bindable = p.Bindable;
                plan.PlanUpdateable = p.PlanUpdateable;
                plan.Metadata = p.Metadata?.ToJsonString();
                plan.Schemas = p.Schemas?.ToJsonString();
                plan.MaintenanceInfo = p.MaintenanceInfo?.ToJsonString();
                plan.MaximumPollingDuration = p.MaximumPollingDuration;
            }
        }
        foreach (var plan in plans.Where(p => !keptPlans.Contains(p.Guid)))
        {
            if (usedPlans.Contains(plan.Guid))
            {
                plan.Available = false;
            }
            else
            {
                db.ServicePlans.Remove(plan);
            }
        }
        foreach (var offering in offerings.Where(o => !keptOfferings.Contains(o.Guid)))
        {
            if (plans.Any(p => p.OfferingGuid == offering.Guid && usedPlans.Contains(p.Guid)))
            {
                offering.Available = false;
            }
            else
            {
                db.ServiceOfferings.Remove(offering);
            }
        }
    }

    public static JsonObject? ParseObject(string? json) => json is null ? null : JsonNode.Parse(json) as JsonObject;
}
