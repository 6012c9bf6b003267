using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Http;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Brokering;

public static class ServiceGuards
{
    /// <summary>
    /// Deleting a space or an org would strand what brokers hold for it (databases, servers), so it waits until its
    /// service instances and space-scoped brokers are deleted through the brokers.
    /// </summary>
    public static async Task RefuseWhileServicesAsync(RavioliDb db, Expression<Func<SpaceEntity, bool>> spaces, string what, CancellationToken ct)
    {
        var spaceGuids = db.Spaces.Where(spaces).Select(s => s.Guid);
        var instances = await db.ServiceInstances.Where(i => spaceGuids.Contains(i.SpaceGuid)).OrderBy(i => i.Name).Select(i => i.Name!).Take(10).ToListAsync(ct);
        if (instances.Count > 0)
        {
            throw ApiProblem.Unprocessable($"The {what} still has service instances ({string.Join(", ", instances)}). Delete them first ('rav delete-service NAME').");
        }
        var brokers = await db.ServiceBrokers.Where(b => b.SpaceGuid != null && spaceGuids.Contains(b.SpaceGuid)).Select(b => b.Name).Take(10).ToListAsync(ct);
        if (brokers.Count > 0)
        {
            throw ApiProblem.Unprocessable($"The {what} still has space-scoped service brokers ({string.Join(", ", brokers)}). Delete them first ('rav delete-service-broker NAME').");
        }
    }
}
