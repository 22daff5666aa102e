//! `pe-doctor pac`: evaluate a PAC file for URLs, like pactester.
