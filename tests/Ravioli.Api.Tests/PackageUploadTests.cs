using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Staging.Packages;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class PackageUploadTests(PackageUploadTests.SmallLimits server) : IClassFixture<PackageUploadTests.SmallLimits>
{
    /// <summary>The real limits scaled down, so bombs and oversize uploads are cheap to make.</summary>
    public sealed class SmallLimits : RavioliServerFixture
    {
        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton(new PackageLimits { MaxUploadBytes = 2 << 20, MaxEntries = 50, MaxExpandedBytes = 40 << 20, RatioAppliesAboveBytes = 1 << 20, MaxExpansionRatio = 100 });
    }

    private async Task<(HttpClient Admin, string Package)> NewPackageAsync()
    {
        var admin = await server.AdminClientAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "pkg-" + suffix })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created).Guid();
        var package = (await admin.PostJsonAsync("/v3/packages", new { type = "bits", relationships = new { app = new { data = new { guid = app } } } })).Expect(HttpStatusCode.Created);
        Assert.Equal("AWAITING_UPLOAD", package.GetProperty("state").GetString());
        return (admin, package.Guid());
    }

    private static byte[] Zip(Action<ZipArchive> fill)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            fill(zip);
        }
        return memory.ToArray();
    }

    private static void File(ZipArchive zip, string name, string content, int mode = 0x81A4)
    {
        var entry = zip.CreateEntry(name);
        entry.ExternalAttributes = mode << 16;
        using var writer = new StreamWriter(entry.Open());
        writer.Write(content);
    }

    private static void Symlink(ZipArchive zip, string name, string target) => File(zip, name, target, 0xA1FF);

    private static async Task<(HttpStatusCode Status, string Body)> UploadAsync(HttpClient client, string package, byte[] bytes, string contentType = "application/zip")
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        // As rav does: the server may refuse before reading the body, and 100-continue lets that answer arrive.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v3/packages/{package}/upload") { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private int IncomingFiles() => Directory.Exists(Path.Combine(server.DataDirectory, "blobs", "incoming"))
        ? Directory.GetFiles(Path.Combine(server.DataDirectory, "blobs", "incoming")).Length : 0;

    [Fact]
    public async Task A_good_zip_is_stored_and_the_package_becomes_ready()
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        var (status, body) = await UploadAsync(admin, package, Zip(z => { File(z, "server.js", "console.log(1)"); File(z, "lib/util.js", "x"); Symlink(z, "lib/current", "util.js"); }));
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Contains("\"READY\"", body, StringComparison.Ordinal);
        Assert.Contains("sha256", body, StringComparison.Ordinal);
        var (again, problem) = await UploadAsync(admin, package, Zip(z => File(z, "x", "y")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again);
        Assert.Contains("uploaded once", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multipart_uploads_with_a_bits_field_work_like_cf()
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        using var form = new MultipartFormDataContent();
        var zip = new ByteArrayContent(Zip(z => File(z, "index.html", "<h1>hi</h1>")));
        zip.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(zip, "bits", "app.zip");
        using var response = await admin.PostAsync($"/v3/packages/{package}/upload", form);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> Rejected => new()
    {
        { "zip-slip", "'../../etc/cron.d/evil'" },
        { "absolute", "'/etc/passwd'" },
        { "backslash-slip", "'..\\..\\evil'" },
        { "symlink-escape", "outside the app directory" },
        { "symlink-absolute", "outside the app directory" },
        { "bomb", "zip bomb" },
        { "too-many-entries", "at most 50" },
        { "too-big-expanded", "expands to more than" },
        { "not-a-zip", "not a valid zip" },
        { "truncated-zip", "not a valid zip" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Unsafe_uploads_are_422_naming_the_entry_and_leave_nothing_behind(string kind, string expected)
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        var good = Zip(z => File(z, "ok.txt", "fine"));
        byte[] bytes = kind switch
        {
            "zip-slip" => Zip(z => { File(z, "ok.txt", "fine"); File(z, "../../etc/cron.d/evil", "* * * * * root sh"); }),
            "absolute" => Zip(z => File(z, "/etc/passwd", "root::0:0")),
            "backslash-slip" => Zip(z => File(z, "..\\..\\evil", "x")),
            "symlink-escape" => Zip(z => Symlink(z, "data", "../../../root/.ravioli/keys")),
            "symlink-absolute" => Zip(z => Symlink(z, "data", "/etc")),
            "bomb" => Zip(z =>
            {
                var entry = z.CreateEntry("zeros.bin", CompressionLevel.SmallestSize);
                using var stream = entry.Open();
                var zeros = new byte[1 << 20];
                for (var i = 0; i < 30; i++)
                {
                    stream.Write(zeros);
                }
            }),
            "too-many-entries" => Zip(z => { for (var i = 0; i < 51; i++) { File(z, $"f{i}.txt", "x"); } }),
            "too-big-expanded" => Zip(z =>
            {
                for (var i = 0; i < 45; i++)
                {
                    var entry = z.CreateEntry($"part{i}.bin", CompressionLevel.SmallestSize);
                    using var stream = entry.Open();
                    stream.Write(new byte[1 << 20]);
                }
            }),
            "not-a-zip" => Encoding.UTF8.GetBytes("this is not a zip at all"),
            "truncated-zip" => good[..(good.Length / 2)],
            _ => throw new ArgumentException(kind),
        };
        var before = IncomingFiles();
        var (status, body) = await UploadAsync(admin, package, bytes);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{kind}: {(int)status} {body}");
        // The detail as a client reads it: the JSON escapes quotes and backslashes (and < > & ').
        Assert.Contains(expected, System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"bits\"", body, StringComparison.Ordinal);
        Assert.Equal(before, IncomingFiles());
        var package1 = (await admin.GetJsonAsync($"/v3/packages/{package}")).Expect(HttpStatusCode.OK);
        Assert.Equal("AWAITING_UPLOAD", package1.GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_413_and_keeps_nothing()
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        var random = new byte[3 << 20];
        new Random(7).NextBytes(random);
        var (status, body) = await UploadAsync(admin, package, Zip(z =>
        {
            var entry = z.CreateEntry("noise.bin", CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(random);
        }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than", body, StringComparison.Ordinal);
        Assert.Equal(0, IncomingFiles());
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        var (status, body) = await UploadAsync(admin, package, Zip(z => File(z, "a", "b")), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/zip", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Building_needs_an_uploaded_package()
    {
        var (admin, package) = await NewPackageAsync();
        using var _ = admin;
        var problem = (await admin.PostJsonAsync("/v3/builds", new { package = new { guid = package } })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("upload its bits", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
