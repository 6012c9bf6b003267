using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Staging.Packages;
using Ravioli.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Api.Tests;

/// <summary>
/// Hostile zips for both upload endpoints, app packages and buildpacks: escapes (zip slip, absolute and drive paths,
/// symlinks out), bombs, too many entries, entries that cannot be read, and a seeded byte-mutation fuzzer. Each is a
/// 4xx naming the problem; nothing is written outside the target, nothing is left in blobs/incoming, and what was
/// there before (a package's state, an installed buildpack) stays as it was.
/// </summary>
public sealed class UploadHostileTests(UploadHostileTests.SmallLimits server, ITestOutputHelper output) : IClassFixture<UploadHostileTests.SmallLimits>
{
    /// <summary>The real limits scaled down, so bombs and oversize uploads are cheap to make.</summary>
    public sealed class SmallLimits : RavioliServerFixture
    {
        public string App { get; private set; } = "";

        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton(new PackageLimits { MaxUploadBytes = 2 << 20, MaxEntries = 50, MaxExpandedBytes = 40 << 20, RatioAppliesAboveBytes = 1 << 20, MaxExpansionRatio = 100 });

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            using var admin = await AdminClientAsync();
            var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "uploads" })).Expect(HttpStatusCode.Created).Guid();
            var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
            App = (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created).Guid();
        }
    }

    private const int Regular = 0x81A4;
    private const int Executable = 0x81ED;
    private const int Link = 0xA1FF;

    private sealed record Entry(string Name, string Content, int Mode = Regular, CompressionLevel Level = CompressionLevel.Optimal);

    private static byte[] Zip(params Entry[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                var entry = zip.CreateEntry(e.Name, e.Level);
                entry.ExternalAttributes = e.Mode << 16;
                using var writer = new StreamWriter(entry.Open());
                writer.Write(e.Content);
            }
        }
        return memory.ToArray();
    }

    private static byte[] Bomb(int megabytes) => BombOf(("zeros.bin", megabytes));

    private static byte[] BombOf(params (string Name, int Megabytes)[] files)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, megabytes) in files)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize);
                entry.ExternalAttributes = Executable << 16;
                using var stream = entry.Open();
                var zeros = new byte[1 << 20];
                for (var i = 0; i < megabytes; i++)
                {
                    stream.Write(zeros);
                }
            }
        }
        return memory.ToArray();
    }

    /// <summary>Sets every entry's compression method in both headers (99: unknown; 8 over stored bytes: a broken deflate stream).</summary>
    private static byte[] WithMethod(byte[] zip, int method)
    {
        var bytes = (byte[])zip.Clone();
        for (var i = 0; i + 4 < bytes.Length; i++)
        {
            if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 3 && bytes[i + 3] == 4)
            {
                bytes[i + 8] = (byte)method;
            }
            else if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 1 && bytes[i + 3] == 2)
            {
                bytes[i + 10] = (byte)method;
            }
        }
        return bytes;
    }

    private static readonly Entry Detect = new("bin/detect", "#!/bin/sh\nexit 0\n", Executable);
    private static readonly Entry Compile = new("bin/compile", "#!/bin/sh\nexit 0\n", Executable);
    private static readonly Entry Release = new("bin/release", "#!/bin/sh\necho '---'\n", Executable);

    /// <summary>A file a zip slip would plant, far outside the data directory; it must never appear.</summary>
    private static readonly string Planted = Path.Combine(Path.GetTempPath(), "ravioli-slip-" + Guid.NewGuid().ToString("N")[..8]);

    private static string Climb => string.Concat(Enumerable.Repeat("../", 30)) + Planted.TrimStart('/');

    public static TheoryData<string> Hostile => new()
    {
        "zip slip", "zip slip with backslashes", "absolute path", "drive letter", "UNC path", "NUL in a name",
        "symlink out of the tree", "absolute symlink", "symlink chain out", "symlink then a write through it",
        "bomb", "too many entries", "expands past the limit in many files", "unknown compression method",
        "broken deflate stream", "unknown compression on a symlink", "not a zip", "truncated zip", "empty body",
    };

    private static byte[] HostileZip(string kind, bool buildpack)
    {
        Entry[] bp = buildpack ? [Detect, Compile, Release] : [new Entry("app.js", "console.log(1)")];
        return kind switch
        {
            "zip slip" => Zip([.. bp, new Entry(Climb, "planted")]),
            "zip slip with backslashes" => Zip([.. bp, new Entry(Climb.Replace('/', '\\'), "planted")]),
            "absolute path" => Zip([.. bp, new Entry(Planted, "planted")]),
            "drive letter" => Zip([.. bp, new Entry("C:/Windows/evil.txt", "planted")]),
            "UNC path" => Zip([.. bp, new Entry("\\\\server\\share\\evil.txt", "planted")]),
            "NUL in a name" => Zip([.. bp, new Entry("evil\0.txt", "planted")]),
            "symlink out of the tree" => Zip([.. bp, new Entry("data", "../../../../../../etc", Link)]),
            "absolute symlink" => Zip([.. bp, new Entry("data", "/etc", Link)]),
            "symlink chain out" => Zip([.. bp, new Entry("sub/a", "x"), new Entry("sub/up", "..", Link), new Entry("sub/out", "up/../..", Link)]),
            "symlink then a write through it" => Zip([.. bp, new Entry("escape", "/tmp", Link), new Entry("escape/" + Path.GetFileName(Planted), "planted")]),
            "bomb" => buildpack ? BombOf(("bin/detect", 45)) : Bomb(30),
            "too many entries" => Zip([.. bp, .. Enumerable.Range(0, 51).Select(i => new Entry($"f{i}.txt", "x"))]),
            "expands past the limit in many files" => BombOf([.. (buildpack ? new[] { ("bin/detect", 1) } : []), .. Enumerable.Range(0, 45).Select(i => ($"part{i}.bin", 1))]),
            "unknown compression method" => WithMethod(Zip(bp), 99),
            "broken deflate stream" => WithMethod(Zip([.. bp.Select(e => e with { Level = CompressionLevel.NoCompression })]), 8),
            "unknown compression on a symlink" => WithMethod(Zip([.. bp, new Entry("link", "app.js", Link)]), 99),
            "not a zip" => "this is not a zip"u8.ToArray(),
            "truncated zip" => Zip(bp)[..40],
            "empty body" => [],
            _ => throw new ArgumentException(kind),
        };
    }

    private async Task<(HttpStatusCode Status, string Body)> UploadAsync(HttpClient client, string path, byte[] bytes, string contentType = "application/zip")
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.SendAsync(request, timeout.Token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private int Incoming() => Directory.Exists(Path.Combine(server.DataDirectory, "blobs", "incoming"))
        ? Directory.GetFiles(Path.Combine(server.DataDirectory, "blobs", "incoming")).Length : 0;

    private async Task<string> NewPackageAsync(HttpClient admin) =>
        (await admin.PostJsonAsync("/v3/packages", new { type = "bits", relationships = new { app = new { data = new { guid = server.App } } } })).Expect(HttpStatusCode.Created).Guid();

    private async Task<string> NewBuildpackAsync(HttpClient admin) =>
        (await admin.PostJsonAsync("/v3/buildpacks", new { name = "bp_" + Guid.NewGuid().ToString("N")[..8] })).Expect(HttpStatusCode.Created).Guid();

    private string InstalledDirectory(string buildpack) => Path.Combine(server.DataDirectory, "buildpacks", buildpack);

    private static string Tree(string directory) => !Directory.Exists(directory) ? "(none)" : string.Join('\n',
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => p[directory.Length..] + (File.Exists(p) ? " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p))) : "")));

    /// <summary>
    /// All but the broken deflate stream: checking a package reads headers, not contents (it may be a gigabyte), so a
    /// stream that breaks half-way is found when staging extracts it, which then fails with the entry named.
    /// </summary>
    public static TheoryData<string> HostilePackages => new(Hostile.Cast<object[]>().Select(k => (string)k[0]).Where(k => k != "broken deflate stream"));

    [Theory]
    [MemberData(nameof(HostilePackages))]
    public async Task A_hostile_app_package_is_refused_and_leaves_the_package_as_it_was(string kind)
    {
        using var admin = await server.AdminClientAsync();
        var package = await NewPackageAsync(admin);
        var incoming = Incoming();
        var (status, body) = await UploadAsync(admin, $"/v3/packages/{package}/upload", HostileZip(kind, buildpack: false));
        Assert.True(status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge, $"{kind}: {(int)status} {body}");
        Assert.Contains("\"bits\"", body, StringComparison.Ordinal);
        Assert.Equal(incoming, Incoming());
        Assert.False(File.Exists(Planted), $"{kind} planted {Planted}");
        Assert.Equal("AWAITING_UPLOAD", (await admin.GetJsonAsync($"/v3/packages/{package}")).Expect(HttpStatusCode.OK).GetProperty("state").GetString());
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_buildpack_is_refused_and_the_installed_version_stays(string kind)
    {
        using var admin = await server.AdminClientAsync();
        var buildpack = await NewBuildpackAsync(admin);
        (await UploadAsync(admin, $"/v3/buildpacks/{buildpack}/upload", Zip(Detect, Compile, Release))).Status.Equals(HttpStatusCode.OK);
        var installed = Tree(InstalledDirectory(buildpack));
        Assert.Contains("/bin/detect", installed, StringComparison.Ordinal);
        var incoming = Incoming();
        var (status, body) = await UploadAsync(admin, $"/v3/buildpacks/{buildpack}/upload", HostileZip(kind, buildpack: true));
        Assert.True(status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge, $"{kind}: {(int)status} {body}");
        Assert.Equal(incoming, Incoming());
        Assert.False(File.Exists(Planted), $"{kind} planted {Planted}");
        Assert.Equal(installed, Tree(InstalledDirectory(buildpack)));
        // No half-unpacked copies beside it either.
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(server.DataDirectory, "buildpacks"), ".*"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("multipart/form-data")]
    public async Task A_buildpack_upload_that_is_not_a_zip_body_is_a_415(string contentType)
    {
        using var admin = await server.AdminClientAsync();
        var buildpack = await NewBuildpackAsync(admin);
        var (status, _) = await UploadAsync(admin, $"/v3/buildpacks/{buildpack}/upload", Zip(Detect), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("(none)", Tree(InstalledDirectory(buildpack)));
    }

    [Fact]
    public async Task A_buildpack_over_the_size_limit_is_a_413_and_keeps_nothing()
    {
        using var admin = await server.AdminClientAsync();
        var buildpack = await NewBuildpackAsync(admin);
        var noise = new byte[3 << 20];
        new Random(7).NextBytes(noise);
        var (status, _) = await UploadAsync(admin, $"/v3/buildpacks/{buildpack}/upload", [.. Zip(Detect), .. noise]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(0, Incoming());
    }

    public static TheoryData<string> BadMultipart => new()
    {
        "no bits field", "a bits field that is not a zip", "a boundary of 300 characters", "no boundary", "a body that ends mid-part",
    };

    [Theory]
    [MemberData(nameof(BadMultipart))]
    public async Task Bad_multipart_package_uploads_are_refused(string kind)
    {
        using var admin = await server.AdminClientAsync();
        var package = await NewPackageAsync(admin);
        var boundary = kind == "a boundary of 300 characters" ? new string('b', 300) : "XyZ";
        var zip = Encoding.Latin1.GetString(Zip(new Entry("a.txt", "a")));
        var body = kind switch
        {
            "no bits field" => $"--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"\r\n\r\n[]\r\n--{boundary}--\r\n",
            "a bits field that is not a zip" => $"--{boundary}\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"a.zip\"\r\n\r\nnot a zip\r\n--{boundary}--\r\n",
            "a body that ends mid-part" => $"--{boundary}\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"a.zip\"\r\n\r\n{zip[..20]}",
            _ => $"--{boundary}\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"a.zip\"\r\n\r\n{zip}\r\n--{boundary}--\r\n",
        };
        var contentType = kind == "no boundary" ? "multipart/form-data" : $"multipart/form-data; boundary={boundary}";
        var (status, answer) = await UploadAsync(admin, $"/v3/packages/{package}/upload", Encoding.Latin1.GetBytes(body), contentType);
        Assert.True((int)status is >= 400 and < 500, $"{kind}: {(int)status} {answer}");
        Assert.Equal(0, Incoming());
        Assert.Equal("AWAITING_UPLOAD", (await admin.GetJsonAsync($"/v3/packages/{package}")).Expect(HttpStatusCode.OK).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Randomly_damaged_zips_never_get_a_5xx_and_never_leave_files_behind()
    {
        var seed = ApiFuzzTests.Seed;
        var random = new Random(seed);
        using var admin = await server.AdminClientAsync();
        var valid = Zip(Detect, Compile, Release, new Entry("lib/", ""), new Entry("lib/x.sh", "echo x"), new Entry("lib/current", "x.sh", Link), new Entry("README.md", new string('r', 2000)));
        var statuses = new SortedDictionary<string, int>();
        var failures = new List<string>();
        var rounds = Math.Max(20, ApiFuzzTests.Iterations / 3);
        for (var i = 0; i < rounds; i++)
        {
            var damaged = (byte[])valid.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }
            if (random.Next(10) == 0)
            {
                damaged = damaged[..random.Next(1, damaged.Length)];
            }
            foreach (var (what, path) in new[] { ("package", $"/v3/packages/{await NewPackageAsync(admin)}/upload"), ("buildpack", $"/v3/buildpacks/{await NewBuildpackAsync(admin)}/upload") })
            {
                var (status, body) = await UploadAsync(admin, path, damaged);
                statuses[$"{what} {(int)status}"] = statuses.GetValueOrDefault($"{what} {(int)status}") + 1;
                if ((int)status >= 500)
                {
                    failures.Add($"#{i} {what}: {(int)status} {body}\n    zip (base64): {Convert.ToBase64String(damaged)}");
                }
            }
            Assert.Equal(0, Incoming());
        }
        output.WriteLine($"{rounds} damaged zips, seed {seed}: " + string.Join(", ", statuses.Select(s => $"{s.Value}× {s.Key}")));
        Assert.True(failures.Count == 0, $"seed {seed} (RAVIOLI_FUZZ_SEED): {failures.Count} uploads got a 5xx:\n" + string.Join('\n', failures.Take(5)));
        Assert.False(File.Exists(Planted));
    }
}
