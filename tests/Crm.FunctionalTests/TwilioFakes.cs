using System.Text.Json;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>Twilio's Messages API as WireMock plays it.</summary>
public static class TwilioFakes
{
    public const string MessagesPath = $"/2010-04-01/Accounts/{CrmApplication.AccountSid}/Messages.json";

    public static IRequestBuilder SendRequest => Request.Create().WithPath(MessagesPath).UsingPost();

    public static void AcceptsMessages(this WireMockServer twilio, string sid = "SMa1b2c3d4e5f60718293a4b5c6d7e8f90")
        => twilio.Given(SendRequest).RespondWith(Accepted(sid));

    public static IResponseBuilder Accepted(string sid) => Response.Create()
        .WithStatusCode(201)
        .WithHeader("Content-Type", "application/json")
        .WithBody(JsonSerializer.Serialize(new { sid, status = "queued", account_sid = CrmApplication.AccountSid }));

    public static IResponseBuilder Refused(int httpStatus, int code, string message) => Response.Create()
        .WithStatusCode(httpStatus)
        .WithHeader("Content-Type", "application/json")
        .WithBody(JsonSerializer.Serialize(new { code, message, status = httpStatus }));

    public static IReadOnlyList<ILogEntry> SendRequests(this WireMockServer twilio)
        => twilio.LogEntries.Where(e => e.RequestMessage.Path == MessagesPath).ToList();

    public static async Task<IReadOnlyList<ILogEntry>> WaitForSendRequestsAsync(this WireMockServer twilio, int count)
    {
        // A guard against hanging, not a speed requirement.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (twilio.SendRequests().Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Twilio received {twilio.SendRequests().Count} send requests, expected {count}.");
            await Task.Delay(25);
        }
        return twilio.SendRequests();
    }

    public static List<KeyValuePair<string, string>> WhatsAppText(string sid, string from, string body, string? profileName = "Alice") =>
    [
        new("SmsMessageSid", sid),
        new("NumMedia", "0"),
        new("ProfileName", profileName ?? ""),
        new("MessageType", "text"),
        new("SmsSid", sid),
        new("WaId", from.TrimStart('+')),
        new("SmsStatus", "received"),
        new("Body", body),
        new("To", "whatsapp:" + CrmApplication.BusinessNumber),
        new("NumSegments", "1"),
        new("ReferralNumMedia", "0"),
        new("MessageSid", sid),
        new("AccountSid", CrmApplication.AccountSid),
        new("From", "whatsapp:" + from),
        new("ApiVersion", "2010-04-01"),
    ];

    public static List<KeyValuePair<string, string>> StatusCallback(string sid, string status, string? errorCode = null)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("SmsSid", sid),
            new("SmsStatus", status),
            new("MessageStatus", status),
            new("To", "whatsapp:+14155550100"),
            new("MessageSid", sid),
            new("AccountSid", CrmApplication.AccountSid),
            new("From", "whatsapp:" + CrmApplication.BusinessNumber),
            new("ApiVersion", "2010-04-01"),
        };
        if (errorCode is not null) form.Add(new("ErrorCode", errorCode));
        return form;
    }
}
