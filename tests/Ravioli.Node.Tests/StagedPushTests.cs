using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Node.Tests;

/// <summary>The whole push path over the API, as `rav push` drives it: upload, stage with a real buildpack, run, route.</summary>
public sealed class StagedPushTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static string SamplesDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "samples")))
            {
                dir = dir.Parent;
            }
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("samples/ not found above the test directory"), "samples");
        }
    }

    private static byte[] ZipDirectory(string directory)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                var entry = zip.CreateEntryFromFile(file, Path.GetRelativePath(directory, file));
                entry.ExternalAttributes = (int)File.GetUnixFileMode(file) << 16 | (0x8000 << 16);
            }
        }
        return memory.ToArray();
    }

    [Fact]
    public async Task The_node_sample_stages_with_the_nodejs_buildpack_and_answers_through_the_router()
    {
        var admin = platform.Admin;
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "staged" })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "hello-node", relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created).Guid();
        var package = (await admin.PostJsonAsync("/v3/packages", new { type = "bits", relationships = new { app = new { data = new { guid = app } } } })).Expect(HttpStatusCode.Created).Guid();
        using (var zip = new ByteArrayContent(ZipDirectory(Path.Combine(SamplesDirectory, "node"))))
        {
            zip.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            using var upload = await admin.PostAsync($"/v3/packages/{package}/upload", zip);
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }
        var build = (await admin.PostJsonAsync("/v3/builds", new { package = new { guid = package } })).Expect(HttpStatusCode.Created).Guid();

        // The log streams while staging runs and ends when it does.
        var log = await admin.GetStringAsync($"/v3/builds/{build}/log");
        Assert.Contains("Nodejs", log, StringComparison.OrdinalIgnoreCase);
        var staged = await PlatformFixture.EventuallyAsync(async () => (await admin.GetJsonAsync($"/v3/builds/{build}")).Body,
            b => b.GetProperty("state").GetString() != "STAGING", TimeSpan.FromMinutes(3), "staging finished");
        Assert.True(staged.GetProperty("state").GetString() == "STAGED", staged.ToString());
        var droplet = staged.GetProperty("droplet").Guid();
        Assert.Equal("nodejs_buildpack", (await admin.GetJsonAsync($"/v3/droplets/{droplet}")).Expect(HttpStatusCode.OK).GetProperty("buildpack").GetString());

        (await admin.PatchJsonAsync($"/v3/apps/{app}/relationships/current_droplet", new { data = new { guid = droplet } })).Expect(HttpStatusCode.OK);
        var domain = (await admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var route = (await admin.PostJsonAsync("/v3/routes", new { host = "hello-node", relationships = new { space = new { data = new { guid = space } }, domain = new { data = new { guid = domain } } } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync($"/v3/routes/{route}/destinations", new { destinations = new[] { new { app = new { guid = app } } } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);

        using var client = platform.RouterClient("hello-node.apps.localhost");
        var answer = await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(client), r => r.StartsWith("200", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "200 through the router");
        Assert.Contains("node", answer, StringComparison.OrdinalIgnoreCase);

        // `rav logs` has the staging output (STG) ahead of the app's own lines, in time order.
        var logs = (await admin.GetStringAsync($"/v3/apps/{app}/logs?recent=true&lines=1000")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var firstStaging = Array.FindIndex(logs, l => l.Contains("\"source_type\":\"STG\"", StringComparison.Ordinal) && l.Contains("Nodejs Buildpack", StringComparison.Ordinal));
        var firstApp = Array.FindIndex(logs, l => l.Contains("\"source_type\":\"APP/PROC/WEB\"", StringComparison.Ordinal));
        Assert.True(firstStaging >= 0 && firstApp > firstStaging, string.Join("\n", logs.Take(40)));
    }
}
