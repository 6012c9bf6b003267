using Ravioli.Core.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Core.Apps;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Packages;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record PackageResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Type, string State, PackageData Data,
    PackageRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record PackageData(string? Error, PackageChecksum? Checksum, long SizeBytes);

public sealed record PackageChecksum(string Type, string Value);

public sealed record PackageRelationships(ToOne App);

public sealed record PackageRelationshipsRequest(Relationship? App);

public sealed record CreatePackageRequest(string? Type, PackageRelationshipsRequest? Relationships);

public static class PackagesApi
{
    public static RouteGroupBuilder MapPackagesApi(this RouteGroupBuilder v3)
    {
        var packages = v3.MapGroup("/packages").WithTags("Packages");
        packages.MapPost("/", CreateAsync).Accepts<CreatePackageRequest>("application/json");
        packages.MapGet("/{guid}", GetAsync);
        packages.MapPost("/{guid}/upload", UploadAsync).DisableAntiforgery();
        v3.MapGet("/apps/{guid}/packages", ListForAppAsync).WithTags("Packages");
        return v3;
    }

    private static PackageResource Present(HttpRequest request, PackageEntity p) => new(
        p.Guid, p.CreatedAt, p.UpdatedAt, "bits", p.State,
        new PackageData(p.Error, p.BlobKey is null ? null : new PackageChecksum("sha256", p.BlobKey), p.SizeBytes),
        new PackageRelationships(ToOne.Of(p.AppGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/packages/{p.Guid}"),
            ["upload"] = Urls.To(request, $"/v3/packages/{p.Guid}/upload"),
            ["app"] = Urls.To(request, $"/v3/apps/{p.AppGuid}"),
        });

    internal static async Task<(PackageEntity Package, AppEntity App)> FindAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct)
    {
        var apps = Visible.Apps(db, caller);
        var package = await db.Packages.FirstOrDefaultAsync(p => p.Guid == guid && apps.Any(a => a.Guid == p.AppGuid), ct)
            ?? throw ApiProblem.NotFound("Package", guid);
        return (package, await db.Apps.Include(a => a.Space).FirstAsync(a => a.Guid == package.AppGuid, ct));
    }

    private static async Task<Created<PackageResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreatePackageRequest>(request);
        if (body.Type is not (null or "bits"))
        {
            throw ApiProblem.Invalid("type", "only 'bits' packages are supported (docker images are not)");
        }
        var app = await Visible.RelatedAsync(Visible.Apps(db, caller).Include(a => a.Space), body.Relationships?.App?.Data?.Guid, "relationships.app.data.guid", "app", ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to upload apps.");
        var package = new PackageEntity { AppGuid = app.Guid, State = PackageStates.AwaitingUpload };
        db.Packages.Add(package);
        AuditLog.Record(db, caller, "audit.app.package.create", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid, new { package_guid = package.Guid });
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("push.package-created");
        return TypedResults.Created($"/v3/packages/{package.Guid}", Present(request, package));
    }

    private static async Task<Ok<PackageResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, (await FindAsync(db, caller, guid, ct)).Package));

    private static async Task<Ok<Page<PackageResource>>> ListForAppAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request, "states");
        var source = db.Packages.AsNoTracking().Where(p => p.AppGuid == app.Guid);
        source = source.WhereIn(query, "states", p => p.State);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, p => Present(request, p), ct));
    }

    /// <summary>
    /// Receives the zip (raw application/zip, or CF's multipart field "bits") into a temporary file, checks it,
    /// and only then stores it and marks the package READY. A refused upload leaves nothing behind.
    /// </summary>
    private static async Task<Ok<PackageResource>> UploadAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, BlobStore blobs, PackageLimits limits, CancellationToken ct)
    {
        var (package, app) = await FindAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to upload apps.");
        if (package.State != PackageStates.AwaitingUpload)
        {
            throw ApiProblem.Unprocessable($"Package {package.Guid} is {package.State}; bits are uploaded once. Create a new package to upload again.");
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxUploadBytes + 64 * 1024;
        }
        if (request.ContentLength > limits.MaxUploadBytes + 64 * 1024)
        {
            throw ApiProblem.TooLarge(limits.MaxUploadBytes);
        }
        var received = await ReceiveAsync(request, blobs, limits, ct);
        // The bits are in blobs/incoming only: a crash here leaves a temporary file that the startup sweep removes.
        FaultPoints.Reach("push.bits-received");
        try
        {
            await AppPackage.InspectAsync(received.Path, limits, ct);
        }
        catch (ArchiveRejectedException e)
        {
            File.Delete(received.Path);
            throw new ApiProblem(422, "validation", "Upload rejected", e.Message, new Dictionary<string, string[]> { ["bits"] = [e.Message] });
        }
        catch
        {
            File.Delete(received.Path);
            throw;
        }
        package.BlobKey = blobs.Commit(received.Path, received.Sha256);
        // Stored under its key but no row points at it yet: the package is still AWAITING_UPLOAD, the blob an orphan until the commit below.
        FaultPoints.Reach("push.bits-stored");
        package.SizeBytes = received.Size;
        package.State = PackageStates.Ready;
        AuditLog.Record(db, caller, "audit.app.package.upload", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { package_guid = package.Guid, size = received.Size, sha256 = received.Sha256 });
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("push.package-ready");
        return TypedResults.Ok(Present(request, package));
    }

    private static async Task<(string Path, string Sha256, long Size)> ReceiveAsync(HttpRequest request, BlobStore blobs, PackageLimits limits, CancellationToken ct)
    {
        try
        {
            var contentType = request.ContentType ?? "";
            if (contentType.StartsWith("application/zip", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            {
                return await blobs.ReceiveAsync(request.Body, limits.MaxUploadBytes, ct);
            }
            if (MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                && HeaderUtilities.RemoveQuotes(media.Boundary).Value is { Length: > 0 and <= 200 } boundary)
            {
                var reader = new MultipartReader(boundary, request.Body);
                try
                {
                    while (await reader.ReadNextSectionAsync(ct) is { } section)
                    {
                        if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                            && HeaderUtilities.RemoveQuotes(disposition.Name).Value == "bits")
                        {
                            return await blobs.ReceiveAsync(section.Body, limits.MaxUploadBytes, ct);
                        }
                    }
                }
                catch (IOException e) when (e is not BadHttpRequestException && !ProblemExceptionHandler.IsDiskFull(e))
                {
                    // The multipart reader's words for a body that ends before its closing boundary, or a malformed part.
                    throw ApiProblem.BadRequest($"The multipart body could not be read: {e.Message}");
                }
                throw ApiProblem.Invalid("bits", "the multipart body has no 'bits' field with the zip");
            }
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                $"Upload the zip with 'Content-Type: application/zip' (or multipart/form-data with a 'bits' field); got '{(contentType.Length == 0 ? "none" : contentType)}'.");
        }
        catch (BlobTooLargeException e)
        {
            throw ApiProblem.TooLarge(e.Limit);
        }
    }
}
