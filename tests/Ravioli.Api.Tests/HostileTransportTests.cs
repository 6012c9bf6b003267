using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>
/// Hostile HTTP rather than hostile JSON: oversized headers and request lines, bodies that are cut off, stall or
/// contradict their framing, odd methods and encodings, and hostile path segments on every endpoint without a JSON
/// body. Each is a 4xx (or a closed connection where HTTP leaves nothing else), in time, with nothing changed.
/// </summary>
public sealed class HostileTransportTests(HostileTransportTests.World world) : IClassFixture<HostileTransportTests.World>
{
    public sealed class World : HostileWorld;

    private string Token => world.Admin.DefaultRequestHeaders.Authorization!.Parameter!;

    private async Task<int> AuditEventsAsync() =>
        (await world.Admin.GetJsonAsync("/v3/audit_events?per_page=1")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32();

    private async Task AssertStillServingAsync() => (await world.Admin.GetJsonAsync($"/v3/apps/{world.App}")).Expect(HttpStatusCode.OK);

    public static TheoryData<string> OversizedHeaders => new()
    {
        "one 40 KiB header", "a 40 KiB Authorization header", "a 40 KiB cookie", "150 headers", "300 headers of 120 bytes",
    };

    [Theory]
    [MemberData(nameof(OversizedHeaders))]
    public async Task Oversized_headers_are_a_431(string kind)
    {
        var before = await AuditEventsAsync();
        using var client = world.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/organizations") { Content = new StringContent("{\"name\": \"header-org\"}", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", kind.Contains("Authorization", StringComparison.Ordinal) ? "Bearer " + Token + new string('x', 40 * 1024) : "Bearer " + Token);
        switch (kind)
        {
            case "one 40 KiB header":
                request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024));
                break;
            case "a 40 KiB cookie":
                request.Headers.TryAddWithoutValidation("Cookie", "session=" + new string('c', 40 * 1024));
                break;
            case "150 headers":
                for (var i = 0; i < 150; i++)
                {
                    request.Headers.TryAddWithoutValidation($"X-H{i}", "v");
                }
                break;
            case "300 headers of 120 bytes":
                for (var i = 0; i < 300; i++)
                {
                    request.Headers.TryAddWithoutValidation($"X-H{i}", new string('v', 120));
                }
                break;
        }
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(before, await AuditEventsAsync());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_request_line_over_8_KiB_is_a_414()
    {
        using var response = await world.Admin.GetAsync("/v3/organizations?names=" + new string('n', 9 * 1024));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        await AssertStillServingAsync();
    }

    /// <summary>Sends raw bytes on a fresh connection; returns the status line (or null if the server closed without one) within the time.</summary>
    private async Task<string?> RawAsync(byte[] head, byte[] body, bool closeSending, TimeSpan wait)
    {
        var uri = new Uri(world.BaseUrl);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(uri.Host, uri.Port);
        await socket.SendAsync(head, SocketFlags.None);
        if (body.Length > 0)
        {
            await socket.SendAsync(body, SocketFlags.None);
        }
        if (closeSending)
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        using var timeout = new CancellationTokenSource(wait);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }
                received.Write(buffer, 0, read);
                if (Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no answer and no close within {wait.TotalSeconds} s");
        }
        catch (SocketException)
        {
            // Reset by the server: it gave up on the request, which is an answer too.
        }
        var text = Encoding.ASCII.GetString(received.ToArray());
        return text.Length == 0 ? null : text.Split("\r\n")[0];
    }

    private byte[] Head(string method, string path, string extra) =>
        Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: {new Uri(world.BaseUrl).Authority}\r\nAuthorization: Bearer {Token}\r\n{extra}\r\n");

    [Theory]
    [MemberData(nameof(BadInputTests.Endpoints), MemberType = typeof(BadInputTests))]
    public async Task A_body_shorter_than_its_content_length_is_a_400_and_changes_nothing(string endpoint)
    {
        var before = await AuditEventsAsync();
        var parts = endpoint.Split(' ');
        var body = "{\"name\": \"truncated-"u8.ToArray();
        var status = await RawAsync(Head(parts[0], world.Fill(parts[1]), "Content-Type: application/json\r\nContent-Length: 200\r\n"), body, closeSending: true, TimeSpan.FromSeconds(30));
        Assert.True(status is null || status.Contains(" 400 ", StringComparison.Ordinal), $"{endpoint}: {status}");
        Assert.Equal(before, await AuditEventsAsync());
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("POST /v3/organizations")]
    [InlineData("POST /v3/packages/{guid}/upload")]
    [InlineData("POST /v3/buildpacks/{guid}/upload")]
    public async Task A_body_that_stops_arriving_is_given_up_on_while_others_are_served(string endpoint)
    {
        var before = await AuditEventsAsync();
        var parts = endpoint.Split(' ');
        var type = endpoint.Contains("upload", StringComparison.Ordinal) ? "application/zip" : "application/json";
        var clock = Stopwatch.StartNew();
        // Ten bytes of a promised megabyte, then silence with the connection open: Kestrel's minimum body rate ends it.
        var stalled = RawAsync(Head(parts[0], world.Fill(parts[1]), $"Content-Type: {type}\r\nContent-Length: 1000000\r\n"), "{\"name\": \""u8.ToArray(), closeSending: false, TimeSpan.FromSeconds(60));
        await AssertStillServingAsync();
        var status = await stalled;
        Assert.True(status is null || status.Contains(" 4", StringComparison.Ordinal), $"{endpoint}: {status} after {clock.Elapsed.TotalSeconds:0} s");
        Assert.Equal(before, await AuditEventsAsync());
        if (type == "application/zip")
        {
            var incoming = Path.Combine(world.DataDirectory, "blobs", "incoming");
            Assert.Empty(Directory.Exists(incoming) ? Directory.GetFiles(incoming) : []);
        }
    }

    public static TheoryData<string, string> BadFraming => new()
    {
        { "Content-Length and chunked", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n" },
        { "two different Content-Lengths", "Content-Length: 5\r\nContent-Length: 6\r\n" },
        { "a negative Content-Length", "Content-Length: -1\r\n" },
        { "a Content-Length over 2^63", "Content-Length: 99999999999999999999\r\n" },
        { "a chunk size that is not hex", "Transfer-Encoding: chunked\r\n" },
        { "an unknown transfer coding", "Transfer-Encoding: gzip, chunked\r\n" },
    };

    [Theory]
    [MemberData(nameof(BadFraming))]
    public async Task Contradictory_or_broken_framing_is_a_400(string kind, string headers)
    {
        var before = await AuditEventsAsync();
        var body = kind == "a chunk size that is not hex" ? "zz\r\n{}\r\n0\r\n\r\n"u8.ToArray() : "{\"name\": \"framed\"}"u8.ToArray();
        var status = await RawAsync(Head("POST", "/v3/organizations", "Content-Type: application/json\r\n" + headers), body, closeSending: true, TimeSpan.FromSeconds(30));
        Assert.True(status is null || status.Contains(" 400 ", StringComparison.Ordinal) || status.Contains(" 501 ", StringComparison.Ordinal), $"{kind}: {status}");
        Assert.Equal(before, await AuditEventsAsync());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_gzip_encoded_body_is_not_inflated_so_a_gzip_bomb_is_only_its_own_size()
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes("{\"name\": \"" + new string('b', 50_000_000) + "\"}"));
        }
        var content = new ByteArrayContent(packed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        var before = await AuditEventsAsync();
        using var response = await world.Admin.PostAsync("/v3/organizations", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await AuditEventsAsync());
    }

    [Fact]
    public async Task A_huge_body_announced_with_expect_100_continue_is_refused_before_it_is_sent()
    {
        using var client = world.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/organizations") { Content = new StreamContent(new MemoryStream(new byte[1])) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentLength = 50L << 30;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("FOO")]
    [InlineData("TRACE")]
    [InlineData("PUT")]
    [InlineData("PROPFIND")]
    public async Task Unknown_or_unmapped_methods_are_a_405_problem(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v3/apps/{world.App}");
        using var response = await world.Admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// Path segments in place of a guid: SQL, traversal, markup, invalid percent-encoded UTF-8, very long, wildcards.
    /// (A bare ".." or "%2E%2E" is not among them: HTTP clients and Kestrel resolve dot segments as RFC 3986 says, so
    /// ".../destinations/.." is a request for the route itself, with the route's own permission check.)
    /// </summary>
    public static readonly string[] HostileSegments =
    [
        "%27%20OR%20%271%27%3D%271", "1%3BDROP%20TABLE%20apps", "..%2F..%2F..%2Fetc%2Fpasswd", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%C3%28", "%ED%A0%80", "%E2%80%AE", "*", "%25", "_", new string('g', 5000), "00000000-0000-0000-0000-000000000000",
    ];

    public static TheoryData<string, string> SegmentCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in BadInputTests.OtherWriteEndpoints.Where(e => e.Contains('{', StringComparison.Ordinal)))
        {
            foreach (var segment in HostileSegments)
            {
                data.Add(endpoint, segment);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SegmentCases))]
    public async Task Hostile_path_segments_are_a_4xx_problem_and_change_nothing(string endpoint, string segment)
    {
        var parts = endpoint.Split(' ');
        // Every parameter of the pattern becomes the hostile segment, one at a time from the last, the others real.
        var pattern = parts[1];
        var last = pattern.LastIndexOf('{');
        var end = pattern.IndexOf('}', last);
        var path = world.Fill(pattern[..last].Replace("{destination}", "x", StringComparison.Ordinal).Replace("{organization}", world.Org, StringComparison.Ordinal))
            + segment + pattern[(end + 1)..];
        var before = await AuditEventsAsync();
        using var request = new HttpRequestMessage(new HttpMethod(parts[0]), path);
        if (parts[1].EndsWith("/upload", StringComparison.Ordinal))
        {
            request.Content = new ByteArrayContent([0x50, 0x4B, 0x05, 0x06, .. new byte[18]]);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        }
        using var response = await world.Admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{parts[0]} {path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("urn:ravioli:problem:", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await AuditEventsAsync());
    }

    [Theory]
    [InlineData("/v3/apps/%00")]
    [InlineData("/v3/apps/a%00b/actions/stop")]
    [InlineData("/v3/service_instances/%00")]
    public async Task A_nul_in_the_path_is_refused_by_the_server_before_any_endpoint(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        using var response = await world.Admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertStillServingAsync();
    }
}
