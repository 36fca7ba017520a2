"""Made-up names and places for the demo district (no real persons)."""

FIRST_NAMES_F = (
    "Olivia Emma Charlotte Amelia Sophia Mia Isabella Ava Evelyn Luna Harper Sofia Camila Eleanor Elizabeth "
    "Violet Scarlett Emily Hazel Lily Gianna Aurora Penelope Aria Nora Chloe Ellie Mila Avery Layla Abigail "
    "Ella Isla Eliana Nova Madison Zoe Ivy Grace Lucy Willow Emilia Riley Naomi Victoria Stella Maya Paisley "
    "Valentina Everly Ximena Aaliyah Fatima Priya Mei Yuki Amara Zainab Leilani Ana Lucia Daniela Keisha "
    "Imani Nia Anjali Sakura Hana Esperanza Guadalupe Marisol Rosa Aisha Mariam Noor Ayesha Thandiwe"
).split()
FIRST_NAMES_M = (
    "Liam Noah Oliver James Elijah Mateo Theodore Henry Lucas William Benjamin Levi Sebastian Jack Ezra Michael "
    "Daniel Leo Owen Samuel Hudson Alexander Asher Luca Ethan John David Jackson Joseph Mason Luke Matthew "
    "Julian Dylan Elias Jacob Maverick Gabriel Logan Aiden Thomas Isaac Miles Grayson Santiago Anthony Wyatt "
    "Carter Jayden Ezekiel Caleb Cooper Josiah Charles Christopher Isaiah Nolan Cameron Nathan Joshua Kai "
    "Diego Carlos Jose Juan Luis Miguel Ahmed Omar Yusuf Ibrahim Hiroshi Kenji Wei Jin Arjun Rohan Vikram "
    "Kwame Kofi Malik Jamal DeShawn Tariq Andre Mateus Rafael"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes "
    "Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard "
    "Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price "
    "Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell "
    "Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells "
    "Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone "
    "Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan "
    "Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley "
    "Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry "
    "Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval O'Brien"
).split() + [
    # surnames of several words stay whole (split on spaces they became "De" and "la" and showed as "la, Emilia");
    # they take the two places those pieces had, so every other demo person keeps their name
    "De la Cruz", "De la Rosa",
] + "Cruz McAllister Okafor Nakamura Yamamoto Singh Kaur Haddad Nowak Kowalski Novak Ivanova Rossi".split()
STREETS = (
    "Oak St", "Maple Ave", "Cedar Ln", "Pine St", "Elm St", "Willow Way", "Birch Rd", "Lakeview Dr",
    "Hillcrest Ave", "Sunset Blvd", "River Rd", "Meadow Ln", "Park Ave", "Main St", "Church St",
    "Prairie Dr", "Orchard Ct", "Juniper Pl", "Magnolia Dr", "Sycamore St", "Aspen Ct", "Bluebonnet Ln",
)
CITY = "Riverbend"
STATE = "TX"
POSTAL_CODES = ("78701", "78702", "78703", "78704", "78705")
ALLERGENS = (
    ("Peanuts", "Food", "Severe", "Anaphylaxis", "Epinephrine auto-injector; call 911"),
    ("Tree nuts", "Food", "Severe", "Hives, throat swelling", "Epinephrine auto-injector; call 911"),
    ("Milk", "Food", "Moderate", "Stomach pain, hives", "Antihistamine; call parent"),
    ("Eggs", "Food", "Mild", "Rash", "Antihistamine"),
    ("Shellfish", "Food", "Severe", "Anaphylaxis", "Epinephrine auto-injector; call 911"),
    ("Wheat/gluten", "Food", "Moderate", "Digestive upset", "Avoid; call parent"),
    ("Bee stings", "Environmental", "Severe", "Anaphylaxis", "Epinephrine auto-injector; call 911"),
    ("Penicillin", "Drug", "Moderate", "Rash", "Do not administer; inform provider"),
    ("Pollen", "Environmental", "Mild", "Sneezing, itchy eyes", "Antihistamine as prescribed"),
)
MEDICATIONS = (
    ("Albuterol inhaler", "2 puffs", "As needed for wheezing", "Keep with student; notify nurse after use"),
    ("Methylphenidate", "10 mg", "Daily at 12:00", "Give with lunch"),
    ("Epinephrine auto-injector", "0.3 mg", "Emergency only", "Inject outer thigh; call 911"),
    ("Insulin (lispro)", "Per sliding scale", "Before lunch", "Check glucose first"),
    ("Cetirizine", "10 mg", "Daily at 08:00", "Give at arrival"),
)
VACCINES = (("DTaP", 5), ("IPV (Polio)", 4), ("MMR", 2), ("Hepatitis B", 3), ("Varicella", 2))
BOOK_WORDS = (
    "River Secret Moon Garden Dragon Island Winter Journey Shadow Light Forest Star Ocean Castle Clock Map "
    "Fox Lantern Mountain Song Storm Bridge Library Planet Robot Orchard Comet Whale Kite Compass"
).split()
AUTHORS = ("A. Rivera", "B. Chen", "C. Okafor", "D. Nakamura", "E. Patel", "F. Rossi", "G. Haddad", "H. Novak",
           "I. Singh", "J. Morgan", "K. Alvarez", "L. Kim")
GENRES = ("Fiction", "Non-fiction", "Biography", "Science", "History", "Poetry", "Graphic novel", "Reference")
