using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary>The <c>USERNAME PASSWORD URL</c> arguments of <c>create-service-broker</c> and <c>update-service-broker</c>.</summary>
internal sealed class BrokerArguments
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User name the platform uses to call the broker (basic auth)" };
    private readonly Argument<string> _password = new("PASSWORD") { Description = "Password the platform uses to call the broker" };
    private readonly Argument<string> _url = new("URL") { Description = "The broker's base URL, e.g. https://broker.example.com" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(_username);
        command.Arguments.Add(_password);
        command.Arguments.Add(_url);
    }

    /// <summary>The URL (checked) and the authentication object of the API.</summary>
    public (string Url, JsonObject Authentication) Read(ParseResult parseResult)
    {
        var url = parseResult.GetRequiredValue(_url).Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"Invalid broker URL '{url}'. Give an http or https URL, e.g. https://broker.example.com.");
        }

        var authentication = new JsonObject
        {
            ["type"] = "basic",
            ["credentials"] = new JsonObject
            {
                ["username"] = parseResult.GetRequiredValue(_username),
                ["password"] = parseResult.GetRequiredValue(_password),
            },
        };
        return (url, authentication);
    }
}
