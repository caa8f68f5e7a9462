"""The vocabulary of bulk-seeded incidents: groups, scenarios, people and resolutions.

Scenario descriptions are fixed Markdown so their HTML is rendered once per
scenario in Python (through ``tickets.markdown``), exactly as the services would.
"""

# Assignment group -> scenarios: (title, Markdown description, category name).
GROUP_SCENARIOS = {
    "Service Desk": [
        ("Account locked after password change", "I changed my password and now my account is *locked*.", "Account locked"),
        ("Password reset link does not arrive", "The self-service reset email never arrives, I checked spam too.", "Password reset"),
        ("Need access to the finance share", "Please grant me access to `\\\\fs01\\finance` for the month-end close.", "Permissions"),
    ],
    "Network Operations": [
        ("Cannot connect to VPN from home", "VPN client says *authentication failed* since this morning.", "VPN"),
        ("Wi-Fi drops in meeting room", "Wi-Fi disconnects every 10 minutes during calls.", "Wi-Fi"),
        ("Internet access very slow", "Web pages take more than 30 seconds to load on the office network.", "Internet access"),
    ],
    "Business Applications": [
        ("ERP invoices stuck in approval", "Since the update last night no invoice moves past *Pending approval*.", "Business application"),
        ("CRM search returns no results", "Searching for customers in the CRM returns nothing for everyone in Sales.", "Business application"),
        ("Website checkout returns error 500", "Customers report errors at checkout. Monitoring shows **5xx** spikes.", "Business application"),
    ],
    "Desktop Support": [
        ("Laptop battery drains in one hour", "My laptop is 6 months old and the battery lasts only an hour.", "Laptop"),
        ("Blue screen after Windows update", "After the update my PC shows a blue screen at boot.", "Operating system"),
        ("Docking station not detecting monitors", "Both external monitors stay black when the laptop is docked.", "Desktop"),
    ],
    "Identity & Access": [
        ("MFA prompt loops on sign-in", "The authenticator approves but the sign-in page asks again and again.", "Account locked"),
        ("New starter has no accounts", "Our new colleague starts today and cannot sign in to anything.", "Permissions"),
        ("Shared mailbox permission missing", "I can no longer open the *support* shared mailbox.", "Permissions"),
    ],
    "Messaging & Collaboration": [
        ("Outlook keeps asking for password", "Prompt appears every few minutes, even after entering the password.", "Email"),
        ("Teams calls are choppy", "Audio breaks up on every Teams call from the office network.", "Office apps"),
        ("Emails to a customer bounce", "Mails to one customer domain bounce with `550 5.7.1`.", "Email"),
    ],
    "Infrastructure & Cloud": [
        ("File server disk almost full", "Monitoring alert: volume `D:` on fs01 is above **95%**.", "Hardware"),
        ("Nightly backup job failed", "The backup job for the ERP database failed with a timeout.", "Software"),
        ("Virtual machine unresponsive", "The build VM does not answer ping or RDP since 02:00.", "Hardware"),
    ],
    "Database Administration": [
        ("Reports database running slow", "Month-end reports take 20 minutes instead of 2.", "Business application"),
        ("Database connection limit reached", "Applications log *too many connections* errors.", "Software"),
        ("Replication lag on reporting replica", "Reporting data is several hours behind production.", "Software"),
    ],
    "Security Operations": [
        ("Phishing email reported", "I received a suspicious email asking me to *verify my account*.", "Email"),
        ("Antivirus alert on laptop", "The antivirus quarantined a file and asks me to restart.", "Laptop"),
        ("Suspicious sign-in alert", "I got a sign-in alert from a country I have never been to.", "Account locked"),
    ],
    "Telephony": [
        ("Desk phone shows no service", "The desk phone display says *No service* since we moved desks.", "Hardware"),
        ("Voicemail not delivered by email", "Voicemails no longer arrive as email attachments.", "Email"),
        ("Mobile phone cannot sync mail", "My company phone stopped syncing email yesterday.", "Mobile device"),
    ],
    "Field Services": [
        ("Printer jams every job", "The printer near the kitchen jams on every print.", "Printer"),
        ("Projector in boardroom not working", "The boardroom projector shows *no signal* with every laptop.", "Hardware"),
        ("Badge reader at entrance offline", "The badge reader at the side entrance shows a red light.", "Hardware"),
    ],
    "Workplace Applications": [
        ("Excel crashes when opening large files", "Excel closes without an error when opening the sales forecast.", "Office apps"),
        ("Software installation request failed", "The self-service install of the PDF editor fails at 80%.", "Software"),
        ("Browser blocks the intranet", "Chrome says the intranet certificate is *not trusted*.", "Software"),
    ],
}

SITES = ["London office", "Leeds office", "Manchester site", "Warehouse", "HQ 3rd floor", "HQ 5th floor", "Remote",
         "Bristol office", "Data centre", "Sales floor"]

FIRST_NAMES = ["Olivia", "Noah", "Amelia", "Oliver", "Isla", "George", "Ava", "Arthur", "Mia", "Leo", "Ivy", "Harry",
               "Freya", "Oscar", "Lily", "Theo", "Florence", "Jack", "Grace", "Henry", "Sophia", "Charlie", "Ella",
               "Finley", "Aria", "Jacob", "Evie", "Thomas", "Poppy", "Samuel", "Ruby", "Adam", "Chloe", "Omar", "Priya",
               "Yusuf", "Mei", "Lukas", "Zara", "Mateo"]
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
              "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
              "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Lee", "Baker", "Hughes", "Turner", "Hill",
              "Moore", "Ward", "Morris", "Clark", "Scott", "Young", "Ahmed", "Novak", "Kowalski", "Rossi", "Garcia",
              "Mueller", "Dubois", "Silva", "Nguyen", "Chen", "Okafor", "Berg"]
DEPARTMENTS = ["Sales", "Finance", "Marketing", "Operations", "HR", "Legal", "Engineering", "Customer Support",
               "Procurement", "Logistics"]

# (resolution code, weight in twentieths, notes)
RESOLUTIONS = [
    ("solved_permanently", 9, "Fixed the configuration and confirmed with the user."),
    ("solved_workaround", 4, "Workaround applied; root cause tracked separately."),
    ("solved_remotely", 4, "Resolved over a remote session."),
    ("not_reproducible", 1, "Could not reproduce; user confirmed it works now."),
    ("duplicate", 1, "Duplicate of an incident already being worked."),
    ("resolved_by_caller", 1, "The caller resolved it themselves."),
]
HOLD_REASONS = ["awaiting_caller", "awaiting_caller", "awaiting_vendor", "awaiting_change", "awaiting_problem"]
CANCEL_REASONS = ["Raised in error.", "Duplicate request from the same caller.", "No longer needed."]
