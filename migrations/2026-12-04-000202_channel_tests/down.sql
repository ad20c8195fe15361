DROP TABLE channel_tests;
