using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Http;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Runs;

/// <summary>Org quota checks for running processes: memory per process, total memory and total instances of started apps.</summary>
public static class ProcessQuotas
{
    /// <summary>
    /// Would the org stay within its quota if <paramref name="changed"/> ran with these numbers (and its app were started)?
    /// Throws a 422 that says which limit and by how much.
    /// </summary>
    public static async Task CheckAsync(RavioliDb db, string organizationGuid, ProcessEntity changed, int instances, int memoryMb, CancellationToken ct)
    {
        var quota = await db.Organizations.Where(o => o.Guid == organizationGuid).Select(o => o.Quota).FirstOrDefaultAsync(ct);
        if (quota is null)
        {
            return;
        }
        if (quota.PerProcessMemoryInMb is { } perProcess && memoryMb > perProcess)
        {
            throw ApiProblem.Unprocessable($"Quota '{quota.Name}' allows at most {perProcess} MB per instance; {memoryMb} MB was asked for.");
        }
        var others = await db.Processes
            .Where(p => p.Guid != changed.Guid && db.Apps.Any(a => a.Guid == p.AppGuid && a.State == AppStates.Started && a.Space!.OrganizationGuid == organizationGuid))
            .Select(p => new { p.Instances, p.MemoryMb })
            .ToListAsync(ct);
        var usedMemory = others.Sum(p => (long)p.Instances * p.MemoryMb);
        var usedInstances = others.Sum(p => p.Instances);
        if (quota.TotalMemoryInMb is { } totalMemory && usedMemory + (long)instances * memoryMb > totalMemory)
        {
            throw ApiProblem.Unprocessable($"Quota '{quota.Name}' allows {totalMemory} MB in total; {usedMemory} MB is in use by other apps and this needs {(long)instances * memoryMb} MB. Scale something down or ask an admin for a larger quota.");
        }
        if (quota.TotalInstances is { } totalInstances && usedInstances + instances > totalInstances)
        {
            throw ApiProblem.Unprocessable($"Quota '{quota.Name}' allows {totalInstances} instances in total; {usedInstances} run in other apps and this needs {instances}.");
        }
    }
}
