using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class BuildpacksApiTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private static ByteArrayContent Zip(params (string Name, string Content, int Mode)[] files)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, mode) in files)
            {
                var entry = zip.CreateEntry(name);
                entry.ExternalAttributes = mode << 16;
                using var writer = new StreamWriter(entry.Open());
                writer.Write(content);
            }
        }
        var body = new ByteArrayContent(memory.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return body;
    }

    [Fact]
    public async Task Built_ins_are_listed_in_detection_order_and_an_uploaded_buildpack_takes_its_position()
    {
        using var admin = await server.AdminClientAsync();
        var before = (await admin.GetJsonAsync("/v3/buildpacks")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal("dotnet_core_buildpack,nodejs_buildpack,python_buildpack,go_buildpack,java_buildpack,staticfile_buildpack,binary_buildpack",
            string.Join(",", before.EnumerateArray().Select(b => b.GetProperty("name").GetString())));

        var created = (await admin.PostJsonAsync("/v3/buildpacks", new { name = "custom_bp", position = 1 })).Expect(HttpStatusCode.Created);
        Assert.Equal("AWAITING_UPLOAD", created.GetProperty("state").GetString());
        using (var zip = Zip(("bin/detect", "#!/bin/sh\nexit 0\n", 0x81ED), ("bin/compile", "#!/bin/sh\nexit 0\n", 0x81ED), ("bin/release", "#!/bin/sh\necho '---'\n", 0x81ED)))
        {
            using var response = await admin.PostAsync($"/v3/buildpacks/{created.Guid()}/upload", zip);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        var after = (await admin.GetJsonAsync("/v3/buildpacks")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal("custom_bp", after[0].GetProperty("name").GetString());
        Assert.Equal("READY", after[0].GetProperty("state").GetString());
        Assert.Equal(8, after.GetArrayLength());

        (await admin.DeleteJsonAsync($"/v3/buildpacks/{created.Guid()}")).Expect(HttpStatusCode.NoContent);
        Assert.Equal(7, (await admin.GetJsonAsync("/v3/buildpacks")).Expect(HttpStatusCode.OK).GetProperty("resources").GetArrayLength());
    }

    [Fact]
    public async Task A_zip_that_is_not_a_buildpack_or_escapes_is_refused()
    {
        using var admin = await server.AdminClientAsync();
        var guid = (await admin.PostJsonAsync("/v3/buildpacks", new { name = "broken_bp" })).Expect(HttpStatusCode.Created).Guid();
        using (var noDetect = Zip(("README", "hi", 0x81A4)))
        {
            using var response = await admin.PostAsync($"/v3/buildpacks/{guid}/upload", noDetect);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains("bin/detect", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var slip = Zip(("bin/detect", "x", 0x81ED), ("../../escape", "x", 0x81A4)))
        {
            using var response = await admin.PostAsync($"/v3/buildpacks/{guid}/upload", slip);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }
        var listed = (await admin.GetJsonAsync("/v3/buildpacks")).Expect(HttpStatusCode.OK).GetProperty("resources").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "broken_bp");
        Assert.Equal("AWAITING_UPLOAD", listed.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("{\"name\": \"nodejs_buildpack\"}", "name")]
    [InlineData("{\"name\": \"has space\"}", "name")]
    [InlineData("{\"name\": \"ok_bp\", \"position\": 0}", "position")]
    [InlineData("{\"name\": \"ok_bp\", \"stack\": \"windows\"}", "stack")]
    public async Task Bad_buildpack_requests_name_the_field(string body, string field)
    {
        using var admin = await server.AdminClientAsync();
        var (status, problem) = await admin.SendAsync(HttpMethod.Post, "/v3/buildpacks", body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Only_admins_manage_buildpacks_and_built_ins_are_locked()
    {
        using var admin = await server.AdminClientAsync();
        (await admin.PostJsonAsync("/v3/users", new { username = "bp-dev", password = "long-enough" })).Expect(HttpStatusCode.Created);
        using var developer = await server.LoginAsync("bp-dev", "long-enough");
        (await developer.GetJsonAsync("/v3/buildpacks")).Expect(HttpStatusCode.OK);
        (await developer.PostJsonAsync("/v3/buildpacks", new { name = "sneaky" })).Expect(HttpStatusCode.Forbidden);
        (await admin.DeleteJsonAsync("/v3/buildpacks/nodejs_buildpack")).Expect(HttpStatusCode.UnprocessableEntity);
    }
}
